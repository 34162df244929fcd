import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError, apiErrorFromResponse, isConflict, isGone, isNotFound, statusCodeOf, toApiError } from './api-error.js';

describe('API errors', () => {
  it('reads the HTTP status from every shape an answer arrives in', () => {
    assert.equal(statusCodeOf(new ApiError(404, 'NotFound', 'Pod a/b', 'pods "b" not found')), 404);
    assert.equal(statusCodeOf(Object.assign(new Error('Gone'), { statusCode: 410 })), 410, 'a refused watch');
    assert.equal(statusCodeOf({ kind: 'Status', code: 410 }), 410, 'a Status in a watch stream');
    assert.equal(statusCodeOf(Object.assign(new Error('HTTP-Code: 409'), { code: 409 })), 409, "client-node's ApiException");
    assert.equal(statusCodeOf(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })), undefined);
    assert.equal(statusCodeOf(undefined), undefined);
    assert.equal(statusCodeOf(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), undefined, 'a DOMException code (23) is no HTTP status');
    assert.equal(isGone({ statusCode: 410 }), true);
    assert.equal(isGone({ code: 500 }), false);
    assert.equal(isNotFound({ code: 404 }), true);
    assert.equal(isConflict(new ApiError(409, 'Conflict', 'x', 'y')), true);
  });

  it("keeps the server's Status message, reason and causes from a response body", () => {
    const body = JSON.stringify({
      kind: 'Status',
      status: 'Failure',
      reason: 'Invalid',
      code: 422,
      message: 'Deployment.apps "vz-kelvin" is invalid: spec.template.spec.containers[0].image: Required value',
      details: { causes: [{ field: 'spec.template.spec.containers[0].image', reason: 'FieldValueRequired', message: 'Required value' }] },
    });
    const err = apiErrorFromResponse('PATCH', 'Deployment pl/vz-kelvin', 422, 'Unprocessable Entity', body);
    assert.equal(err.reason, 'Invalid');
    assert.equal(err.causes[0]?.field, 'spec.template.spec.containers[0].image');
    assert.equal(err.message, 'PATCH Deployment pl/vz-kelvin failed: 422 Invalid: Deployment.apps "vz-kelvin" is invalid: spec.template.spec.containers[0].image: Required value');
    const plain = apiErrorFromResponse('GET', '/healthz', 503, 'Service Unavailable', 'etcd not ready\n');
    assert.equal(plain.message, 'GET /healthz failed: 503 Service Unavailable: etcd not ready');
  });

  it('turns an ApiException, a refused watch and a Status event into ApiErrors and leaves other errors alone', () => {
    const forbidden = Object.assign(new Error('HTTP-Code: 403\nMessage: ...'), {
      code: 403,
      body: JSON.stringify({ kind: 'Status', reason: 'Forbidden', code: 403, message: 'pods is forbidden: User "x" cannot list resource "pods"' }),
    });
    const e1 = toApiError(forbidden, 'pods', 'LIST');
    assert.ok(e1 instanceof ApiError);
    assert.equal(e1.serverMessage, 'pods is forbidden: User "x" cannot list resource "pods"');
    assert.equal(e1.reason, 'Forbidden');

    const e2 = toApiError(Object.assign(new Error('Gone'), { statusCode: 410 }), 'configmaps', 'WATCH');
    assert.ok(e2 instanceof ApiError);
    assert.equal(e2.message, 'WATCH configmaps failed: 410 Gone: HTTP 410');

    const e3 = toApiError({ kind: 'Status', reason: 'Expired', code: 410, message: 'too old resource version: 1 (5)' }, 'pods', 'WATCH');
    assert.ok(e3 instanceof ApiError);
    assert.equal(e3.message, 'WATCH pods failed: 410 Expired: too old resource version: 1 (5)');

    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED' });
    assert.equal(toApiError(refused, 'pods', 'LIST'), refused);
  });
});
