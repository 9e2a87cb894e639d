import { getConfig } from '@edx/frontend-platform';
import { getAuthenticatedHttpClient } from '@edx/frontend-platform/auth';

export const PAGE_SIZE = 6;

/** The preference under ``custom`` profile privacy that says who sees the owner's badges. */
export const BADGES_VISIBILITY_PREFERENCE = 'visibility.credly_badges';

function lmsRoot() {
  return String(getConfig().LMS_BASE_URL || '').replace(/\/+$/, '');
}

/** The LMS's URL of ``username``'s profile badges (``GET /api/credly/v1/users/<username>/badges/``). */
export function badgesUrl(username, page = 1) {
  return `${lmsRoot()}/api/credly/v1/users/${encodeURIComponent(username)}/badges/?page=${page}&page_size=${PAGE_SIZE}`;
}

/**
 * One page of the badges ``username``'s profile shows to the signed-in viewer:
 * ``{username, count, next, previous, results, learning_paths_in_progress}``, and for the
 * owner ``visibility: {account_privacy, badges}``. The LMS decides what the viewer may
 * see (the profile's privacy); the MFE's authenticated client carries the JWT cookie.
 */
export async function fetchBadges(username, page = 1) {
  const { data } = await getAuthenticatedHttpClient().get(badgesUrl(username, page));
  return data;
}

/** The platform's preferences API of ``username`` (edx-platform's user_api ``PreferencesView``). */
export function preferencesUrl(username) {
  return `${lmsRoot()}/api/user/v1/preferences/${encodeURIComponent(username)}`;
}

/**
 * Who may see the owner's badges: ``"all_users"`` or ``"private"``, saved as the owner's
 * ``visibility.credly_badges`` preference with a merge-patch, the way the profile saves
 * the visibility of its own fields.
 */
export async function saveBadgesVisibility(username, visibility) {
  await getAuthenticatedHttpClient().patch(
    preferencesUrl(username),
    { [BADGES_VISIBILITY_PREFERENCE]: visibility },
    { headers: { 'Content-Type': 'application/merge-patch+json' } },
  );
  return visibility;
}

/**
 * The LMS's URL of a course's badges (``GET /api/credly/v1/courses/<course_id>/badges/``), for
 * the signed-in learner or, for course staff, the learner whose user id is ``userId``.
 */
export function courseBadgesUrl(courseId, userId = '') {
  const learner = userId ? `?user_id=${encodeURIComponent(userId)}` : '';
  return `${lmsRoot()}/api/credly/v1/courses/${encodeURIComponent(courseId)}/badges/${learner}`;
}

/**
 * What the course awards and where the signed-in learner stands with each badge:
 * ``{course_id, username, results}`` (an empty list when the course awards nothing).
 */
export async function fetchCourseBadges(courseId, userId = '') {
  const { data } = await getAuthenticatedHttpClient().get(courseBadgesUrl(courseId, userId));
  return data;
}
