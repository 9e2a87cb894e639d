import { useEffect, useState } from 'react';
import PropTypes from 'prop-types';
import { useParams } from 'react-router-dom';
import { IntlProvider, useIntl } from '@edx/frontend-platform/i18n';
import {
  Badge, Button, Card, Skeleton, breakpoints, useWindowSize,
} from '@openedx/paragon';

import { fetchCourseBadges } from './api';
import { gradeSentence, ruleSentence, validitySentence } from './courseBadgeWords';
import courseMessages from './courseMessages';
import { catalogueFor } from './i18n';
import messages from './messages';
import useCardColumns from './useCardColumns';
import BadgeImage from './BadgeImage';
import './badgeCards.css';

const COURSE_ROUTE = /\/course\/([^/?#]+)/;
const MIN_CARD_WIDTH_PX = 300;
const MAX_COLUMNS = 3;
const EARNED = ['issuing', 'pending', 'accepted'];

export const PLACEMENT_SIDE_PANEL = 'side_panel';
export const PLACEMENT_MAIN_BODY = 'main_body';
export const PLACEMENT_COURSE_EXIT = 'course_exit';

/**
 * The course of the page: the ``courseId`` prop, else the route's ``:courseId``
 * (the learning MFE's slots pass no props), else the ``/course/<id>`` of the address.
 */
export function useCourseId(courseId) {
  const params = useParams();
  if (courseId) {
    return courseId;
  }
  if (params && params.courseId) {
    return params.courseId;
  }
  const match = (typeof window !== 'undefined' ? window.location.pathname : '').match(COURSE_ROUTE);
  return match ? decodeURIComponent(match[1]) : '';
}

/**
 * Whether this placement is the one shown at the window's width. The Progress tab has the
 * widget in two slots, and shows the certificate status in the side panel on large screens
 * and in the main body below them (frontend-app-learning's ProgressTabCertificateStatus*Slot):
 * the widget follows the same rule, so it appears once, beside the certificate status.
 */
export function useShownHere(placement) {
  const { width } = useWindowSize();
  if (placement !== PLACEMENT_SIDE_PANEL && placement !== PLACEMENT_MAIN_BODY) {
    return true;
  }
  if (!width) {
    return false;
  }
  const wide = width >= breakpoints.large.minWidth;
  return placement === PLACEMENT_SIDE_PANEL ? wide : !wide;
}

const LinkButton = ({
  href, variant, label, children,
}) => (
  <Button as="a" variant={variant} size="sm" href={href} target="_blank" rel="noopener noreferrer" aria-label={label}>
    {children}
  </Button>
);

LinkButton.propTypes = {
  href: PropTypes.string.isRequired,
  variant: PropTypes.string.isRequired,
  label: PropTypes.string.isRequired,
  children: PropTypes.node.isRequired,
};

const longDate = (intl, value) => intl.formatDate(value, { year: 'numeric', month: 'long', day: 'numeric' });

/** Where the learner stands: a state label, her progress, and the Accept / View button. */
const BadgeStatus = ({ badge }) => {
  const intl = useIntl();
  const { status, rule } = badge;
  if (status === 'not_yet') {
    const grade = gradeSentence(intl, badge);
    const path = rule.kind === 'learning_path' && badge.courses_done != null;
    return (
      <div className="credly-course-badge__status">
        <Badge variant="light" className="mb-1">{intl.formatMessage(courseMessages.notYet)}</Badge>
        {grade ? <p className="small mb-0 credly-course-badge__grade">{grade}</p> : null}
        {path ? (
          <div className="small credly-course-badge__path">
            <span className="mr-2">
              {intl.formatMessage(courseMessages.pathDone, { done: badge.courses_done, required: rule.courses_required })}
            </span>
            <progress
              className="mw-100"
              max={rule.courses_required}
              value={badge.courses_done}
              aria-label={intl.formatMessage(messages.pathProgress, { name: rule.learning_path_name })}
            />
          </div>
        ) : null}
      </div>
    );
  }
  if (status === 'issuing') {
    return (
      <div className="credly-course-badge__status">
        <Badge variant="info" className="mb-1">{intl.formatMessage(courseMessages.issuing)}</Badge>
        <p className="small mb-0">{intl.formatMessage(courseMessages.issuingHelp)}</p>
      </div>
    );
  }
  const expired = status === 'expired';
  const pending = status === 'pending';
  let label = courseMessages.earned;
  if (expired) {
    label = messages.expired;
  } else if (pending && !badge.accept_url) {
    label = messages.pending;
  }
  let action = null;
  if (pending && badge.accept_url) {
    action = { href: badge.accept_url, variant: 'primary', label: messages.acceptLabel, text: messages.accept };
  } else if (!pending && badge.badge_url) {
    action = { href: badge.badge_url, variant: 'outline-primary', label: messages.viewLabel, text: messages.view };
  }
  return (
    <div className="credly-course-badge__status d-flex flex-wrap align-items-center">
      <Badge variant={expired ? 'light' : 'success'} className="mr-2 mb-1">{intl.formatMessage(label)}</Badge>
      {action ? (
        <LinkButton
          href={action.href}
          variant={action.variant}
          label={intl.formatMessage(action.label, { name: badge.name })}
        >
          {intl.formatMessage(action.text)}
        </LinkButton>
      ) : null}
    </div>
  );
};

const ruleShape = PropTypes.shape({
  kind: PropTypes.string.isRequired,
  trigger: PropTypes.string,
  min_grade: PropTypes.number,
  max_grade: PropTypes.number,
  modes: PropTypes.arrayOf(PropTypes.string),
  expires_in_months: PropTypes.number,
  learning_path_name: PropTypes.string,
  courses_in_path: PropTypes.number,
  courses_required: PropTypes.number,
});

const courseBadgeShape = PropTypes.shape({
  template_id: PropTypes.string.isRequired,
  name: PropTypes.string.isRequired,
  image_url: PropTypes.string,
  rule: ruleShape.isRequired,
  status: PropTypes.string.isRequired,
  current_grade: PropTypes.number,
  courses_done: PropTypes.number,
  earned_at: PropTypes.string,
  expires_at: PropTypes.string,
  accept_url: PropTypes.string,
  badge_url: PropTypes.string,
});

BadgeStatus.propTypes = { badge: courseBadgeShape.isRequired };

/** When the badge expires: its date once earned, else the rule ("Valid for 24 months once earned"). */
function expiryLine(intl, badge) {
  if (badge.expires_at && ['pending', 'accepted', 'expired'].includes(badge.status)) {
    const message = badge.status === 'expired' ? messages.expiredOn : messages.expires;
    return intl.formatMessage(message, { date: longDate(intl, badge.expires_at) });
  }
  return badge.status === 'not_yet' ? validitySentence(intl, badge.rule) : null;
}

const CourseBadgeCard = ({ badge }) => {
  const intl = useIntl();
  const expiry = expiryLine(intl, badge);
  return (
    <Card className="h-100 credly-course-badge" data-template-id={badge.template_id} data-status={badge.status}>
      <Card.Section className="d-flex align-items-start">
        <BadgeImage name={badge.name} imageUrl={badge.image_url} size={64} />
        <div className="credly-card__text">
          <h3 className="h4 mb-1 credly-card__name" title={badge.name}>{badge.name}</h3>
          <p className="small mb-1 text-break credly-course-badge__rule">{ruleSentence(intl, badge.rule)}</p>
          {expiry ? <p className="small text-gray-700 mb-0 credly-course-badge__expiry">{expiry}</p> : null}
        </div>
      </Card.Section>
      <Card.Footer className="text-break justify-content-start">
        <BadgeStatus badge={badge} />
      </Card.Footer>
    </Card>
  );
};

CourseBadgeCard.propTypes = { badge: courseBadgeShape.isRequired };

/** The badges of the course (``badges`` already chosen), in as many columns as the widget's width holds. */
export const CourseBadgesList = ({ badges, heading, headingId = 'credly-course-badges-heading' }) => {
  const [ref, columns] = useCardColumns(MIN_CARD_WIDTH_PX, MAX_COLUMNS);
  return (
    <section className="credly-course-badges mb-4" aria-labelledby={headingId} ref={ref} data-columns={columns}>
      <h2 id={headingId} className="h4 mb-3">{heading}</h2>
      <ul
        className="list-unstyled mb-0"
        style={{ display: 'grid', gridTemplateColumns: `repeat(${columns}, minmax(0, 1fr))`, gap: '1rem' }}
      >
        {badges.map((badge) => (
          <li key={badge.template_id} className="mw-100"><CourseBadgeCard badge={badge} /></li>
        ))}
      </ul>
    </section>
  );
};

CourseBadgesList.propTypes = {
  badges: PropTypes.arrayOf(courseBadgeShape).isRequired,
  heading: PropTypes.string.isRequired,
  /** Unique on the page (a page may hold the widget of several courses). */
  headingId: PropTypes.string,
};

const LoadingSkeleton = () => {
  const intl = useIntl();
  return (
    <section className="credly-course-badges mb-4" aria-busy="true" data-testid="credly-course-badges-loading">
      <span className="sr-only">{intl.formatMessage(courseMessages.loading)}</span>
      <Skeleton width={180} height={24} className="mb-3" />
      <Skeleton height={120} />
    </section>
  );
};

/**
 * The learner course staff look at: the learning MFE's ``/course/:courseId/progress/:targetUserId``
 * (a staff view of a learner's progress), else '' (the signed-in learner).
 */
function useTargetUserId() {
  const params = useParams();
  return (params && params.targetUserId) || '';
}

/** Loads the course's badges once the placement is the one shown; ``{status, badges}``. */
function useCourseBadges(courseId, userId, active) {
  const [state, setState] = useState({ status: 'loading', badges: [] });
  useEffect(() => {
    if (!active) {
      return undefined;
    }
    if (!courseId) {
      setState({ status: 'done', badges: [] });
      return undefined;
    }
    let live = true;
    setState({ status: 'loading', badges: [] });
    fetchCourseBadges(courseId, userId).then((data) => {
      if (live) {
        setState({ status: 'done', badges: data.results || [] });
      }
    }).catch((error) => {
      if (!live) { return; }
      // eslint-disable-next-line no-console
      console.error('Course badges: could not load the badges of the course.', error);
      setState({ status: 'done', badges: [] });
    });
    return () => { live = false; };
  }, [courseId, userId, active]);
  return state;
}

/** The widget in the application's language, without the application's catalogue. */
export const CourseBadgesContent = ({ courseId = '', placement = '' }) => {
  const intl = useIntl();
  const course = useCourseId(courseId);
  const shown = useShownHere(placement);
  const { status, badges } = useCourseBadges(course, useTargetUserId(), shown);
  const exit = placement === PLACEMENT_COURSE_EXIT;
  if (!shown) {
    return null;
  }
  if (status === 'loading') {
    // The exit page celebrates what is there: no placeholder for what may not be.
    return exit ? null : <LoadingSkeleton />;
  }
  const listed = exit ? badges.filter((badge) => EARNED.includes(badge.status)) : badges;
  if (!listed.length) {
    return null;
  }
  const heading = exit
    ? intl.formatMessage(courseMessages.exitHeading, { count: listed.length })
    : intl.formatMessage(courseMessages.heading);
  const headingId = `credly-course-badges-${placement || 'any'}-${course.replace(/[^A-Za-z0-9_-]/g, '-')}`;
  return <CourseBadgesList badges={listed} heading={heading} headingId={headingId} />;
};

CourseBadgesContent.propTypes = {
  courseId: PropTypes.string,
  placement: PropTypes.oneOf(['', PLACEMENT_SIDE_PANEL, PLACEMENT_MAIN_BODY, PLACEMENT_COURSE_EXIT]),
};

/**
 * "Course badges" in the learning MFE: a ``DIRECT_PLUGIN`` of frontend-plugin-framework.
 *
 * What the course awards, how each badge is earned, and where the learner stands; on the
 * course exit page (``placement="course_exit"``) only the badges she earned. Takes the
 * application's language and brings its own catalogue. Renders a skeleton while loading
 * (not on the exit page), then the badges, or nothing at all (no badge, an API failure).
 */
const CourseBadges = ({ courseId = '', placement = '' }) => {
  const { locale } = useIntl();
  return (
    <IntlProvider locale={locale} messages={catalogueFor(locale) || {}} defaultLocale="en">
      <CourseBadgesContent courseId={courseId} placement={placement} />
    </IntlProvider>
  );
};

CourseBadges.propTypes = {
  /** The course; by default read from the learning MFE's route, /course/:courseId/…. */
  courseId: PropTypes.string,
  /** side_panel or main_body (the Progress tab's two slots: shown in one only), course_exit, or '' (always). */
  placement: PropTypes.oneOf(['', PLACEMENT_SIDE_PANEL, PLACEMENT_MAIN_BODY, PLACEMENT_COURSE_EXIT]),
};

export default CourseBadges;
