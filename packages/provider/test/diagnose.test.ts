import { describe, expect, it } from 'vitest';
import { diagnoseNetworkError, missingVersionHint } from '../src/shared/diagnose.js';
import { providerErrorFromFacts } from '../src/shared/errors.js';

/** What fetch throws: TypeError('fetch failed') around the system error, as the SDKs wrap it. */
function fetchFailure(cause: unknown): Error {
  const wrapped = new Error('Connection error.', { cause: new TypeError('fetch failed', { cause }) });
  return wrapped;
}

function systemError(code: string, message = `${code} happened`): Error {
  return Object.assign(new Error(message), { code });
}

describe('diagnoseNetworkError', () => {
  it('finds the system error under the SDK and fetch wrappers', () => {
    expect(diagnoseNetworkError(fetchFailure(systemError('ECONNREFUSED')))).toMatchObject({
      reason: 'connection refused (ECONNREFUSED)',
      code: 'ECONNREFUSED',
    });
    expect(diagnoseNetworkError(fetchFailure(systemError('ENOTFOUND')))?.reason).toBe(
      'host not found (ENOTFOUND)',
    );
  });

  it('looks inside an AggregateError (each address of a host tried)', () => {
    const both = new AggregateError([systemError('ECONNREFUSED'), systemError('ECONNREFUSED')], 'all failed');
    expect(diagnoseNetworkError(fetchFailure(both))?.code).toBe('ECONNREFUSED');
  });

  it('names a certificate problem, and points plain-HTTP servers at http://', () => {
    const expired = diagnoseNetworkError(
      fetchFailure(systemError('CERT_HAS_EXPIRED', 'certificate has expired')),
    );
    expect(expired?.reason).toBe('TLS handshake failed: certificate has expired (CERT_HAS_EXPIRED)');
    expect(expired?.hint).toContain('NODE_EXTRA_CA_CERTS');
    const wrongProtocol = diagnoseNetworkError(
      fetchFailure(
        systemError('ERR_SSL_WRONG_VERSION_NUMBER', 'error:0A00010B:SSL routines::wrong version number'),
      ),
    );
    expect(wrongProtocol?.reason).toBe('TLS handshake failed (ERR_SSL_WRONG_VERSION_NUMBER)');
    expect(wrongProtocol?.hint).toContain('http://');
  });

  it("explains fetch's refusal of an unsafe port, which carries no code", async () => {
    // The real thing: Node's fetch to port 9 (discard), one of the Fetch standard's bad ports.
    const refused = await fetch('http://127.0.0.1:9/v1/models').catch((error: unknown) => error);
    expect(diagnoseNetworkError(new Error('Connection error.', { cause: refused }))).toMatchObject({
      reason: 'port refused by fetch (bad port)',
      code: 'BAD_PORT',
    });
  });

  it('says nothing about errors it cannot explain', () => {
    expect(diagnoseNetworkError(new Error('odd'))).toBeUndefined();
    expect(diagnoseNetworkError(fetchFailure(systemError('EWHATEVER')))).toBeUndefined();
  });
});

describe('missingVersionHint', () => {
  it('suggests /v1 only for a base URL without a version path', () => {
    expect(missingVersionHint('http://127.0.0.1:11434')).toBe(
      'OpenAI-compatible servers usually serve under /v1: try --base-url http://127.0.0.1:11434/v1',
    );
    expect(missingVersionHint('http://127.0.0.1:8080/api/')).toContain(
      'try --base-url http://127.0.0.1:8080/api/v1',
    );
    expect(missingVersionHint('http://127.0.0.1:11434/v1')).toBeUndefined();
    expect(missingVersionHint('https://generativelanguage.googleapis.com/v1beta')).toBeUndefined();
  });
});

describe('endpoint problems in provider errors', () => {
  it('name the URL (without credentials) and the cause in the message, which is what run_failed carries', () => {
    const error = providerErrorFromFacts(
      { message: 'connection failed: fetch failed', transport: true },
      { provider: 'local', model: 'llama3.2', baseURL: 'http://user:pw@127.0.0.1:9/v1' },
      fetchFailure(systemError('ECONNREFUSED')),
    );
    expect(error.kind).toBe('transport');
    expect(error.message).toBe(
      'local (llama3.2): cannot reach http://127.0.0.1:9/v1: connection refused (ECONNREFUSED); nothing is listening there: start the server (e.g. `ollama serve`), or fix the URL (--base-url, or base_url in the config)',
    );
    expect(error.message).not.toContain('pw');
  });

  it('leave other failures as they were', () => {
    const error = providerErrorFromFacts(
      { message: 'Invalid model', status: 400 },
      { provider: 'local', baseURL: 'http://127.0.0.1:9/v1', versionedBaseURL: true },
    );
    expect(error.message).toBe('local: Invalid model (HTTP 400)');
  });
});
