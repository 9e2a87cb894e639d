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

export function getAuthenticatedHttpClient() {
  return {
    async get(url) {
      const record = { url, status: null };
      window.credlyRequests.push(record);
      try {
        const response = await fetch(url, { credentials: 'include', headers: { Accept: 'application/json' } });
        record.status = response.status;
        if (!response.ok) {
          throw Object.assign(new Error(`Request failed with status code ${response.status}`), { response });
        }
        return { data: await response.json() };
      } finally {
        record.done = true;
      }
    },
  };
}

export function getAuthenticatedUser() {
  return window.CREDLY_TEST_PAGE.user;
}
