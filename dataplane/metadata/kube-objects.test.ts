import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { endpointSliceRecord, keepFields, nodeRecord, objectMeta, podRecord, RECORD_FIELDS, selects, serviceRecord, stripContainerScheme, timeToNs } from './kube-objects.js';

const CID = '3f4b8c1d2e5a6978a0b1c2d3e4f5061728394a5b6c7d8e9f0a1b2c3d4e5f6a7b';
const CID_OLD = '9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a0f9e8d';
const CID_INIT = '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';

// A Deployment's pod as `kubectl get pod -o json` prints it (fields the view does not use trimmed).
const POD_JSON = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name: 'web-6d4b75cb6d-x7k2p',
    namespace: 'shop',
    uid: '5f3c8a2e-1b4d-4c9a-9f2e-0a1b2c3d4e5f',
    resourceVersion: '48213',
    creationTimestamp: '2024-05-02T10:14:59Z',
    labels: { app: 'web', 'pod-template-hash': '6d4b75cb6d' },
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-6d4b75cb6d', uid: 'rs-uid', controller: true }],
  },
  spec: { nodeName: 'node-2', containers: [{ name: 'web', image: 'nginx:1.25' }, { name: 'sidecar', image: 'envoy' }] },
  status: {
    phase: 'Running',
    hostIP: '192.168.1.12',
    podIP: '10.244.1.17',
    podIPs: [{ ip: '10.244.1.17' }, { ip: 'fd00:10:244:1::11' }],
    startTime: '2024-05-02T10:15:00Z',
    initContainerStatuses: [{ name: 'migrate', containerID: `containerd://${CID_INIT}`, ready: true, restartCount: 0, state: { terminated: { exitCode: 0 } } }],
    containerStatuses: [
      {
        name: 'web',
        containerID: `containerd://${CID}`,
        ready: true,
        restartCount: 1,
        state: { running: { startedAt: '2024-05-02T10:16:00Z' } },
        lastState: { terminated: { exitCode: 137, reason: 'OOMKilled', containerID: `containerd://${CID_OLD}` } },
      },
      { name: 'sidecar', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } },
    ],
  },
};

describe('pods and services from the Kubernetes API', () => {
  it('keeps what the view needs from a pod: ids, node, IPs, start time, phase, labels, containers', () => {
    assert.deepEqual(podRecord(POD_JSON), {
      uid: '5f3c8a2e-1b4d-4c9a-9f2e-0a1b2c3d4e5f',
      namespace: 'shop',
      name: 'web-6d4b75cb6d-x7k2p',
      nodeName: 'node-2',
      ip: '10.244.1.17',
      ips: ['10.244.1.17', 'fd00:10:244:1::11'],
      hostNetwork: false,
      startTime: 1714644900_000_000_000n,
      createdAt: 1714644899_000_000_000n,
      phase: 'Running',
      labels: { app: 'web', 'pod-template-hash': '6d4b75cb6d' },
      containers: [
        { id: CID_INIT, name: 'migrate' },
        { id: CID, name: 'web' },
        { id: CID_OLD, name: 'web' },
      ],
    });
  });

  it('reads the Date objects the generated client deserializes to', () => {
    const deserialized = { ...POD_JSON, status: { ...POD_JSON.status, startTime: new Date('2024-05-02T10:15:00Z') } };
    assert.equal(podRecord(deserialized)?.startTime, 1714644900_000_000_000n);
  });

  it('a pending pod with no node, IP or status is still a pod', () => {
    assert.deepEqual(podRecord({ metadata: { uid: 'u1', name: 'p', namespace: 'ns' }, spec: {}, status: { phase: 'Pending' } }), {
      uid: 'u1', namespace: 'ns', name: 'p', nodeName: '', ips: [], hostNetwork: false, phase: 'Pending', labels: {}, containers: [],
    });
  });

  it('marks host-network pods', () => {
    assert.equal(podRecord({ ...POD_JSON, spec: { ...POD_JSON.spec, hostNetwork: true } })?.hostNetwork, true);
  });

  it('rejects objects without uid, name or namespace', () => {
    assert.equal(podRecord({ metadata: { name: 'p', namespace: 'ns' } }), undefined);
    assert.equal(podRecord({ metadata: { uid: 'u', namespace: 'ns' } }), undefined);
    assert.equal(serviceRecord({ metadata: { uid: 'u', name: 's' } }), undefined);
    assert.equal(podRecord(null), undefined);
    assert.equal(podRecord('pod'), undefined);
    assert.deepEqual(objectMeta({ metadata: { uid: 'u', name: 'n', namespace: 'ns', labels: {} } }), { uid: 'u', name: 'n', namespace: 'ns' });
  });

  it('keeps a service\'s cluster IPs (dual stack), skipping "None", and its selector', () => {
    const svc = { metadata: { uid: 's1', name: 'web', namespace: 'shop' }, spec: { type: 'ClusterIP', clusterIP: '10.96.12.7', clusterIPs: ['10.96.12.7', 'fd00:96::7'], selector: { app: 'web' }, ports: [{ port: 80 }] } };
    assert.deepEqual(serviceRecord(svc), { uid: 's1', namespace: 'shop', name: 'web', clusterIps: ['10.96.12.7', 'fd00:96::7'], selector: { app: 'web' } });
    const headless = { metadata: { uid: 's2', name: 'db', namespace: 'shop' }, spec: { clusterIP: 'None', selector: { app: 'db' } } };
    assert.deepEqual(serviceRecord(headless), { uid: 's2', namespace: 'shop', name: 'db', clusterIps: [], selector: { app: 'db' } });
    const external = { metadata: { uid: 's3', name: 'ext', namespace: 'shop' }, spec: { type: 'ExternalName', externalName: 'example.com' } };
    assert.deepEqual(serviceRecord(external), { uid: 's3', namespace: 'shop', name: 'ext', clusterIps: [] });
    const created = { metadata: { uid: 's4', name: 'c', namespace: 'shop', creationTimestamp: '1970-01-01T00:00:02Z' }, spec: {} };
    assert.equal(serviceRecord(created)?.createdAt, 2_000_000_000n);
  });

  it('keeps an EndpointSlice\'s service and the pods it lists: by uid, by name without one, by address without a targetRef', () => {
    // As the EndpointSlice controller writes it (discovery.k8s.io/v1), plus hand-written endpoints.
    const slice = {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'web-abc12', namespace: 'shop', uid: 'es-1', labels: { 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' } },
      addressType: 'IPv4',
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      endpoints: [
        { addresses: ['10.244.1.17'], conditions: { ready: true, serving: true, terminating: false }, nodeName: 'node-2', targetRef: { kind: 'Pod', namespace: 'shop', name: 'web-0', uid: 'pod-uid-0' } },
        { addresses: ['10.244.1.18'], conditions: { ready: false }, targetRef: { kind: 'Pod', namespace: 'shop', name: 'web-1', uid: 'pod-uid-1' } },
        { addresses: ['10.244.1.19'], targetRef: { kind: 'Pod', name: 'web-2' } },
        { addresses: ['10.244.1.20', '10.244.1.21'] },
        { addresses: ['192.168.1.5'], targetRef: { kind: 'Node', name: 'node-5' } },
        { addresses: ['10.244.1.17'], targetRef: { kind: 'Pod', namespace: 'shop', name: 'web-0', uid: 'pod-uid-0' } },
      ],
    };
    assert.deepEqual(endpointSliceRecord(slice), {
      uid: 'es-1',
      namespace: 'shop',
      name: 'web-abc12',
      serviceName: 'web',
      refs: ['uid:pod-uid-0', 'uid:pod-uid-1', 'name:shop/web-2', 'ip:10.244.1.20', 'ip:10.244.1.21'],
    });
  });

  it('an EndpointSlice without the service-name label or endpoints is kept empty; FQDN addresses name no pod', () => {
    assert.deepEqual(endpointSliceRecord({ metadata: { uid: 'es-2', name: 'x', namespace: 'shop' } }), { uid: 'es-2', namespace: 'shop', name: 'x', serviceName: '', refs: [] });
    const fqdn = { metadata: { uid: 'es-3', name: 'y', namespace: 'shop', labels: { 'kubernetes.io/service-name': 'ext' } }, addressType: 'FQDN', endpoints: [{ addresses: ['db.example.com'] }] };
    assert.deepEqual(endpointSliceRecord(fqdn)?.refs, []);
    assert.equal(endpointSliceRecord({ metadata: { name: 'z', namespace: 'shop' } }), undefined);
  });

  it('a selector picks pods of its namespace whose labels hold every selector pair; no selector picks none', () => {
    const pod = podRecord(POD_JSON)!;
    const svc = (namespace: string, selector?: Record<string, string>) =>
      serviceRecord({ metadata: { uid: 's', name: 's', namespace }, spec: { clusterIP: '10.96.0.9', ...(selector ? { selector } : {}) } })!;
    assert.equal(selects(svc('shop', { app: 'web' }), pod), true);
    assert.equal(selects(svc('shop', { app: 'web', 'pod-template-hash': '6d4b75cb6d' }), pod), true);
    assert.equal(selects(svc('shop', { app: 'web', tier: 'front' }), pod), false);
    assert.equal(selects(svc('shop', { app: 'db' }), pod), false);
    assert.equal(selects(svc('other', { app: 'web' }), pod), false);
    assert.equal(selects(svc('shop'), pod), false);
    assert.equal(selects(svc('shop', {}), pod), false);
  });

  it('strips the runtime scheme from container ids and converts metav1 times to ns', () => {
    assert.equal(stripContainerScheme(`containerd://${CID}`), CID);
    assert.equal(stripContainerScheme(`docker://${CID}`), CID);
    assert.equal(stripContainerScheme(`cri-o://${CID}`), CID);
    assert.equal(stripContainerScheme(CID), CID);
    assert.equal(timeToNs('1970-01-01T00:00:01Z'), 1_000_000_000n);
    assert.equal(timeToNs('yesterday'), undefined);
    assert.equal(timeToNs(undefined), undefined);
  });

  it('the fields the metadata service sends make the same records as whole objects, and drop the rest', () => {
    const svc = { metadata: { uid: 's1', name: 'web', namespace: 'shop', creationTimestamp: '2024-05-02T10:14:59Z', managedFields: [{ manager: 'kubectl' }] }, spec: { clusterIP: '10.96.12.7', clusterIPs: ['10.96.12.7'], selector: { app: 'web' }, ports: [{ port: 80 }] } };
    const node = { metadata: { uid: 'n1', name: 'node-2', labels: { zone: 'a' } }, spec: { podCIDR: '10.244.1.0/24', podCIDRs: ['10.244.1.0/24'], taints: [] }, status: { addresses: [{ type: 'InternalIP', address: '192.168.1.12' }], capacity: { cpu: '4' } } };
    const slice = { metadata: { uid: 'es-1', name: 'web-a', namespace: 'shop', labels: { 'kubernetes.io/service-name': 'web' } }, addressType: 'IPv4', ports: [{ port: 8080 }], endpoints: [{ addresses: ['10.244.1.17'], conditions: { ready: true }, targetRef: { kind: 'Pod', namespace: 'shop', name: 'web-0', uid: 'pod-uid-0' } }, { addresses: ['10.244.1.20'] }] };
    const pod = { ...POD_JSON, metadata: { ...POD_JSON.metadata, creationTimestamp: new Date('2024-05-02T10:14:59Z') } };
    assert.deepEqual(podRecord(keepFields(pod, RECORD_FIELDS.pods)), podRecord(pod));
    assert.deepEqual(serviceRecord(keepFields(svc, RECORD_FIELDS.services)), serviceRecord(svc));
    assert.deepEqual(nodeRecord(keepFields(node, RECORD_FIELDS.nodes)), nodeRecord(node));
    assert.deepEqual(endpointSliceRecord(keepFields(slice, RECORD_FIELDS.endpointslices)), endpointSliceRecord(slice));
    const trimmed = keepFields(POD_JSON, RECORD_FIELDS.pods) as { spec: object; metadata: object; status: { containerStatuses: object[] } };
    assert.deepEqual(trimmed.spec, { nodeName: 'node-2' });
    assert.equal('ownerReferences' in trimmed.metadata, false);
    assert.deepEqual(trimmed.status.containerStatuses[1], { name: 'sidecar' });
    assert.equal('managedFields' in (keepFields(svc, RECORD_FIELDS.services) as { metadata: object }).metadata, false);
  });
});
