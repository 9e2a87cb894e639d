/*
 * Stands in for @edx/frontend-platform/auth in the Chromium test's bundle only.
 *
 * The real getAuthenticatedHttpClient() needs initialize() and the LMS's JWT cookie
 * refresh (/login_refresh), which the dev host does not serve; this one sends the
 * LMS session cookie with fetch (the API accepts the session as it accepts the JWT)
 * and answers like axios ({data}, a rejection on an HTTP error). Every request is
 * recorded in window.credlyRequests so the test knows when the widget has its answer.
 */
window.credlyRequests = [];

function csrfToken() {
  const match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : '';
}

async function send(method, url, body, headers = {}) {
  const record = { method, url, status: null };
  window.credlyRequests.push(record);
  try {
    const response = await fetch(url, {
      method,
      credentials: 'include',
      // The MFE's client sends the CSRF token with every write, as the LMS's session check requires.
      headers: {
        Accept: 'application/json', ...(body === undefined ? {} : { 'X-CSRFToken': csrfToken() }), ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    record.status = response.status;
    if (!response.ok) {
      throw Object.assign(new Error(`Request failed with status code ${response.status}`), { response });
    }
    const text = await response.text();
    return { data: text ? JSON.parse(text) : {} };
  } finally {
    record.done = true;
  }
}

export function getAuthenticatedHttpClient() {
  return {
    get: (url) => send('GET', url),
    patch: (url, body, config = {}) => send('PATCH', url, body, config.headers),
  };
}

export function getAuthenticatedUser() {
  return window.CREDLY_TEST_PAGE.user;
}
