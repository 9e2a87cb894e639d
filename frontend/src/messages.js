import { defineMessages } from '@edx/frontend-platform/i18n';

// The same words as the LMS's framed panel (openedx_credly/templates/openedx_credly/profile_badges.html).
const messages = defineMessages({
  heading: {
    id: 'credly.badges.heading',
    defaultMessage: 'Badges Earned',
    description: 'Heading of the Credly badges section of the learner profile.',
  },
  loading: {
    id: 'credly.badges.loading',
    defaultMessage: 'Loading badges',
    description: 'Screen reader text while the badges load.',
  },
  imageAlt: {
    id: 'credly.badges.image.alt',
    defaultMessage: 'Badge: {name}',
    description: 'Alternative text of a badge image.',
  },
  earned: {
    id: 'credly.badges.earned',
    defaultMessage: 'Earned {date}',
    description: 'When the badge was earned, e.g. "Earned March 2, 2026".',
  },
  pending: {
    id: 'credly.badges.state.pending',
    defaultMessage: 'Pending acceptance',
    description: 'State of a badge the learner has not accepted on Credly yet.',
  },
  accepted: {
    id: 'credly.badges.state.accepted',
    defaultMessage: 'Accepted',
    description: 'State of a badge the learner accepted on Credly.',
  },
  accept: {
    id: 'credly.badges.accept',
    defaultMessage: 'Accept on Credly',
    description: 'Button that opens Credly to accept a pending badge.',
  },
  acceptLabel: {
    id: 'credly.badges.accept.label',
    defaultMessage: 'Accept on Credly: {name} (opens in a new tab)',
    description: 'Accessible name of the accept button.',
  },
  view: {
    id: 'credly.badges.view',
    defaultMessage: 'View badge',
    description: 'Button that opens an accepted badge on Credly.',
  },
  viewLabel: {
    id: 'credly.badges.view.label',
    defaultMessage: 'View badge: {name} on Credly (opens in a new tab)',
    description: 'Accessible name of the view button.',
  },
  expires: {
    id: 'credly.badges.expires',
    defaultMessage: 'Expires {date}',
    description: 'When a badge stops being valid, e.g. "Expires March 2, 2029".',
  },
  expired: {
    id: 'credly.badges.expired',
    defaultMessage: 'Expired',
    description: 'Label of a badge whose expiry date has passed (it stays listed).',
  },
  expiredOn: {
    id: 'credly.badges.expired.on',
    defaultMessage: 'Expired {date}',
    description: 'When an expired badge stopped being valid, e.g. "Expired March 2, 2026".',
  },
  olderBadges: {
    id: 'credly.badges.older',
    defaultMessage: 'Older badges',
    description: 'Button that shows the next, older, badges below those shown.',
  },
  shownOfTotal: {
    id: 'credly.badges.shown',
    defaultMessage: '{shown} of {total} badges shown',
    description: 'How many badges are shown out of all the learner has.',
  },
  onTheWay: {
    id: 'credly.badges.paths.heading',
    defaultMessage: 'On the way to',
    description: 'Heading of the learning paths the learner has started.',
  },
  pathCount: {
    id: 'credly.badges.paths.count',
    defaultMessage: '{done} of {required} {required, plural, one {course} other {courses}}',
    description: 'Courses of a learning path completed, e.g. "2 of 3 courses".',
  },
  pathProgress: {
    id: 'credly.badges.paths.progress',
    defaultMessage: 'Progress toward {name}',
    description: 'Accessible name of a learning path progress bar.',
  },
  visibleToEveryone: {
    id: 'credly.badges.visibility.everyone',
    defaultMessage: 'Everyone on {siteName}',
    description: 'Who may see the learner\'s badges: every user of the site (the profile\'s own words for its fields).',
  },
  visibleToMe: {
    id: 'credly.badges.visibility.me',
    defaultMessage: 'Just me',
    description: 'Who may see the learner\'s badges: only the learner (the profile\'s own words for its fields).',
  },
  visibilityLabel: {
    id: 'credly.badges.visibility.label',
    defaultMessage: 'Who can see your badges',
    description: 'Label of the choice of who may see the learner\'s badges on the profile.',
  },
  visibilityFailed: {
    id: 'credly.badges.visibility.failed',
    defaultMessage: 'Your choice could not be saved. Try again.',
    description: 'Shown when saving who may see the badges failed.',
  },
});

export default messages;
