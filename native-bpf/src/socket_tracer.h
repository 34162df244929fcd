/* Structs, map sizes and counter indices shared by socket_tracer.bpf.c and the Node addon. */
#ifndef LOUPE_SOCKET_TRACER_H
#define LOUPE_SOCKET_TRACER_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Largest payload one data event can carry (a power of two: the BPF side masks offsets with
 * it, and its per-CPU scratch holds twice this). The per-event cap set from user space is
 * 1..SOCK_MAX_PAYLOAD. */
#define SOCK_MAX_PAYLOAD 8192
/* iovecs copied from readv/writev/sendmsg/recvmsg; bytes in later ones count as truncated. */
#define SOCK_MAX_IOVECS 16
/* Threads inside a traced syscall at one time (arguments stashed between enter and exit). */
/* Open connections tracked at one time, all processes together. */
#define SOCK_CONNS_ENTRIES 65536
/* Processes in the tgid filter. */
#define SOCK_TRACED_TGIDS_ENTRIES 1024
/* Defaults (user space may override): per-event cap, per-connection budget, ring size. */
#define SOCK_DEFAULT_MAX_EVENT_BYTES 4096
#define SOCK_DEFAULT_CONN_BUDGET_BYTES (16ULL << 20)
#define SOCK_DEFAULT_RING_BYTES (8U << 20)
/* Blocks of the inside networks the kernel holds (inside_nets); user space classifies against
 * all of them, so blocks past this only cost their connections the payload copies. */
#define SOCK_INSIDE_NETS_ENTRIES 16384
/* Payload bytes a no-payload connection (a client side whose remote end is inside) still
 * captures: enough for user space to name its protocol in conn_stats, not to parse it. */
#define SOCK_DETECT_BYTES 64

enum sock_event_kind {
	SOCK_EVENT_OPEN = 1,
	SOCK_EVENT_DATA = 2,
	SOCK_EVENT_CLOSE = 3,
};

enum sock_role {
	SOCK_ROLE_UNKNOWN = 0, /* the connection was open before tracing started */
	SOCK_ROLE_CLIENT = 1,  /* connect() */
	SOCK_ROLE_SERVER = 2,  /* accept()/accept4() */
};

enum sock_direction {
	SOCK_DIR_NONE = 0,
	SOCK_DIR_EGRESS = 1,  /* write, writev, sendto, sendmsg, sendfile */
	SOCK_DIR_INGRESS = 2, /* read, readv, recvfrom, recvmsg */
};

/* Which syscall produced a data event (user space may want to know, e.g. sendfile has no bytes). */
enum sock_syscall {
	SOCK_SYS_NONE = 0,
	SOCK_SYS_READ, SOCK_SYS_READV, SOCK_SYS_RECVFROM, SOCK_SYS_RECVMSG,
	SOCK_SYS_WRITE, SOCK_SYS_WRITEV, SOCK_SYS_SENDTO, SOCK_SYS_SENDMSG, SOCK_SYS_SENDFILE,
	SOCK_SYS_CONNECT, SOCK_SYS_ACCEPT, SOCK_SYS_ACCEPT4, SOCK_SYS_CLOSE,
	SOCK_SYS_EXIT, /* close reported by user space: the process exited without close() */
};

/* Key and value of the conns map: a tracked connection, from open (or first sighting) to close.
 * User space removes the entries of processes that exited without closing. */
struct sock_conn_key {
	__u32 tgid;
	__s32 fd;
};

struct sock_conn_state {
	__u64 generation;
	__u64 bytes_sent;
	__u64 bytes_recv;
	__u64 captured; /* payload bytes emitted, against the connection budget */
	__u8 role;      /* enum sock_role */
	__u8 no_payload; /* 1: client side of a connection to an inside address (see inside_nets) */
	__u8 pad[6];
};

/* Key of the inside_nets LPM trie: an IPv6 prefix; IPv4 blocks in the IPv4-mapped range
 * (::ffff:a.b.c.d, prefixlen 96 + n), so dual-stack sockets' mapped peers match them too. */
struct sock_inside_key {
	__u32 prefixlen; /* bits of addr that count, 0..128 */
	__u8 addr[16];   /* network order */
};

/* One ring-buffer record: this header, then `captured` payload bytes (data events only).
 * open: addresses set. data: size/pos/captured. close: size = bytes sent, pos = bytes received. */
struct sock_event {
	__u64 timestamp_ns; /* bpf_ktime_get_ns (CLOCK_MONOTONIC) at syscall exit */
	__u64 generation;   /* unique per opened connection (a global counter, never reused) */
	__u64 size;         /* data: bytes the syscall moved; close: bytes sent in total */
	__u64 pos;          /* data: stream offset of the first byte in this direction; close: bytes received */
	__u32 tgid;
	__s32 fd;
	__u32 captured;     /* data: payload bytes following this header (<= size) */
	__u16 family;       /* AF_INET / AF_INET6 */
	__u16 sock_type;    /* SOCK_STREAM / SOCK_DGRAM */
	__u16 local_port;   /* host byte order */
	__u16 remote_port;  /* host byte order */
	__u8 local_addr[16];  /* IPv4: first 4 bytes; IPv6: 16 bytes (network order) */
	__u8 remote_addr[16];
	__u8 kind;          /* enum sock_event_kind */
	__u8 role;          /* enum sock_role */
	__u8 direction;     /* enum sock_direction */
	__u8 syscall;       /* enum sock_syscall */
	__u8 no_payload;    /* open: 1 when the connection's data events carry at most SOCK_DETECT_BYTES in all */
	__u8 pad[3];
};

/* Indices into the per-CPU stats map. Every path that loses data has its own counter. */
enum sock_stat {
	SOCK_STAT_EVENTS = 0,        /* records submitted to the ring buffer */
	SOCK_STAT_LOST_RINGBUF_FULL, /* records dropped: ring buffer full */
	SOCK_STAT_TRUNCATED,         /* data events whose payload is shorter than the syscall's bytes */
	SOCK_STAT_BUDGET_DROPS,      /* data events not emitted: the connection's byte budget is spent */
	SOCK_STAT_CONN_TABLE_FULL,   /* connections not tracked: conns map full */
	SOCK_STAT_READ_FAILED,       /* payload bytes not copied: bpf_probe_read_user failed */
	SOCK_STAT_COMPAT_SKIPPED,    /* 32-bit syscalls of traced processes (x86 int 0x80 / sysenter) not decoded */
	SOCK_STAT_COUNT
};

#endif
