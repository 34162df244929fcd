import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { identityFromCgroupPath, parseCgroupIdentity, parseCgroupLines } from './cgroup.js';

// Shapes of /proc/PID/cgroup as written by docker, containerd, CRI-O and the kubelet with both
// cgroup drivers, on cgroup v1, v2 and hybrid hosts. Ids are made up, formats are not.
const CID = '3f4b8c1d2e5a6978a0b1c2d3e4f5061728394a5b6c7d8e9f0a1b2c3d4e5f6a7b';
const CID2 = '9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a0f9e8d';
const POD = '5f3c8a2e-1b4d-4c9a-9f2e-0a1b2c3d4e5f';
const POD_ = POD.replaceAll('-', '_');

const v1 = (path: string) =>
  ['12:pids', '11:memory', '10:cpu,cpuacct', '9:devices', '1:name=systemd'].map((h) => `${h}:${path}`).join('\n') + '\n0::/\n';

describe('cgroup parsing', () => {
  it('splits lines into hierarchy, controllers and path, keeping colons inside the path', () => {
    assert.deepEqual(parseCgroupLines('10:cpu,cpuacct:/docker/x\n0::/a:b:c\n1:name=systemd:/\n'), [
      { hierarchyId: 10, controllers: ['cpu', 'cpuacct'], path: '/docker/x' },
      { hierarchyId: 0, controllers: [], path: '/a:b:c' },
      { hierarchyId: 1, controllers: ['name=systemd'], path: '/' },
    ]);
    assert.deepEqual(parseCgroupLines('garbage\nx:y:/z\n3:cpu:relative\n\n'), []);
  });

  it('docker with the cgroupfs driver (v1): /docker/<id> on every controller', () => {
    assert.deepEqual(parseCgroupIdentity(v1(`/docker/${CID}`)), { containerId: CID, runtime: 'docker' });
  });

  it('docker with the systemd driver (v2): docker-<id>.scope', () => {
    assert.deepEqual(parseCgroupIdentity(`0::/system.slice/docker-${CID}.scope\n`), { containerId: CID, runtime: 'docker' });
  });

  it('containerd under the kubelet, systemd driver (v2): the pod uid comes back with dashes', () => {
    const text = `0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${POD_}.slice/cri-containerd-${CID}.scope\n`;
    assert.deepEqual(parseCgroupIdentity(text), { containerId: CID, runtime: 'containerd', podUid: POD });
  });

  it('a Guaranteed pod has no QoS level in its slice or directory', () => {
    assert.deepEqual(identityFromCgroupPath(`/kubepods.slice/kubepods-pod${POD_}.slice/cri-containerd-${CID}.scope`), { containerId: CID, runtime: 'containerd', podUid: POD });
    assert.deepEqual(identityFromCgroupPath(`/kubepods/pod${POD}/${CID}`), { containerId: CID, podUid: POD });
  });

  it('the kubelet with the cgroupfs driver (v1): /kubepods/<qos>/pod<uid>/<id>, runtime unknown', () => {
    assert.deepEqual(parseCgroupIdentity(v1(`/kubepods/besteffort/pod${POD}/${CID}`)), { containerId: CID, podUid: POD });
  });

  it('containerd with the systemd driver on cgroup v1 writes "<pod slice>:cri-containerd:<id>"', () => {
    const text = v1(`/system.slice/containerd.service/kubepods-burstable-pod${POD_}.slice:cri-containerd:${CID}`);
    assert.deepEqual(parseCgroupIdentity(text), { containerId: CID, runtime: 'containerd', podUid: POD });
  });

  it('CRI-O: crio-<id>.scope (systemd) and crio-<id> (cgroupfs); its conmon monitor is no container', () => {
    const base = `/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod${POD_}.slice`;
    assert.deepEqual(parseCgroupIdentity(`0::${base}/crio-${CID}.scope\n`), { containerId: CID, runtime: 'cri-o', podUid: POD });
    assert.deepEqual(parseCgroupIdentity(`0::${base}/crio-conmon-${CID}.scope\n`), { podUid: POD });
    assert.deepEqual(identityFromCgroupPath(`/kubepods/burstable/pod${POD}/crio-${CID}`), { containerId: CID, runtime: 'cri-o', podUid: POD });
  });

  it('podman: libpod-<id>.scope', () => {
    assert.deepEqual(parseCgroupIdentity(`0::/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-${CID}.scope/container\n`), { containerId: CID, runtime: 'podman' });
  });

  it('a kind node inside docker: the innermost container and pod win', () => {
    const text = `0::/system.slice/docker-${CID2}.scope/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod${POD_}.slice/cri-containerd-${CID}.scope\n`;
    assert.deepEqual(parseCgroupIdentity(text), { containerId: CID, runtime: 'containerd', podUid: POD });
    assert.deepEqual(identityFromCgroupPath(`/docker/${CID2}/kubepods/besteffort/pod${POD}/${CID}`), { containerId: CID, podUid: POD });
    assert.deepEqual(identityFromCgroupPath(`/docker/${CID2}/system.slice/containerd.service`), { containerId: CID2, runtime: 'docker' });
  });

  it('a pod-level cgroup with no container below it gives the pod only', () => {
    assert.deepEqual(parseCgroupIdentity(v1(`/kubepods/burstable/pod${POD}`)), { podUid: POD });
  });

  it('a hybrid host: the v1 controller lines name the container while the v2 line is "/"', () => {
    const text = `12:memory:/docker/${CID}\n1:name=systemd:/docker/${CID}\n0::/\n`;
    assert.deepEqual(parseCgroupIdentity(text), { containerId: CID, runtime: 'docker' });
  });

  it('host processes and ids that are not 64 hex give nothing', () => {
    assert.deepEqual(parseCgroupIdentity('0::/user.slice/user-1000.slice/session-2.scope\n'), {});
    assert.deepEqual(parseCgroupIdentity('0::/init.scope\n'), {});
    assert.deepEqual(parseCgroupIdentity('4:memory:/process_api/0884bdd192bc90867ef9f761b3338530\n0::/\n'), {});
    assert.deepEqual(parseCgroupIdentity(`0::/system.slice/docker-${CID.slice(1)}.scope\n`), {});
    assert.deepEqual(parseCgroupIdentity(''), {});
  });

  it('upper-case ids and uids are lowered', () => {
    assert.deepEqual(identityFromCgroupPath(`/kubepods/besteffort/pod${POD.toUpperCase()}/${CID.toUpperCase()}`), { containerId: CID, podUid: POD });
  });
});
