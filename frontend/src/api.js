import { getConfig } from '@edx/frontend-platform';
import { getAuthenticatedHttpClient } from '@edx/frontend-platform/auth';

export const PAGE_SIZE = 6;

/** The LMS's URL of ``username``'s profile badges (``GET /api/credly/v1/users/<username>/badges/``). */
export function badgesUrl(username, page = 1) {
  const root = String(getConfig().LMS_BASE_URL || '').replace(/\/+$/, '');
  return `${root}/api/credly/v1/users/${encodeURIComponent(username)}/badges/?page=${page}&page_size=${PAGE_SIZE}`;
}

/**
 * One page of the badges ``username``'s profile shows to the signed-in viewer:
 * ``{username, count, next, previous, results, learning_paths_in_progress}``.
 * The LMS decides what the viewer may see (the profile's privacy); the MFE's
 * authenticated client carries the JWT cookie.
 */
export async function fetchBadges(username, page = 1) {
  const { data } = await getAuthenticatedHttpClient().get(badgesUrl(username, page));
  return data;
}

/**
 * The LMS's URL of a course's badges (``GET /api/credly/v1/courses/<course_id>/badges/``), for
 * the signed-in learner or, for course staff, the learner whose user id is ``userId``.
 */
export function courseBadgesUrl(courseId, userId = '') {
  const root = String(getConfig().LMS_BASE_URL || '').replace(/\/+$/, '');
  const learner = userId ? `?user_id=${encodeURIComponent(userId)}` : '';
  return `${root}/api/credly/v1/courses/${encodeURIComponent(courseId)}/badges/${learner}`;
}

/**
 * What the course awards and where the signed-in learner stands with each badge:
 * ``{course_id, username, results}`` (an empty list when the course awards nothing).
 */
export async function fetchCourseBadges(courseId, userId = '') {
  const { data } = await getAuthenticatedHttpClient().get(courseBadgesUrl(courseId, userId));
  return data;
}
