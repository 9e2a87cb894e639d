import {
  useCallback, useEffect, useRef, useState,
} from 'react';
import PropTypes from 'prop-types';
import { getConfig } from '@edx/frontend-platform';
import { getAuthenticatedUser } from '@edx/frontend-platform/auth';
import { IntlProvider, useIntl } from '@edx/frontend-platform/i18n';
import {
  Badge, Button, Card, Form, Skeleton,
} from '@openedx/paragon';

import { fetchBadges, saveBadgesVisibility } from './api';
import { catalogueFor } from './i18n';
import messages from './messages';
import useCardColumns, { gridStyle } from './useCardColumns';
import BadgeImage from './BadgeImage';
import './badgeCards.css';
import './BadgesEarned.css';

/**
 * The narrowest a card may be: 20 px padding each side, the 72 px image and its 16 px
 * margin, and room for the longest one-line date ("Obtenu le 30 septembre 2026") beside it.
 */
export const MIN_CARD_WIDTH_PX = 336;
export const MAX_COLUMNS = 3;

const PROFILE_ROUTE = /\/u\/([^/?#]+)/;

/**
 * Whose profile this is: the ``username`` prop (a slot's ``content`` may set it), else the
 * profile MFE's route ``/u/:username``, else the signed-in user.
 */
export function profileOwner(username) {
  if (username) {
    return username;
  }
  const match = (typeof window !== 'undefined' ? window.location.pathname : '').match(PROFILE_ROUTE);
  if (match) {
    return decodeURIComponent(match[1]);
  }
  const user = getAuthenticatedUser();
  return user ? user.username : '';
}

const BadgeCard = ({ badge, headingRef = undefined }) => {
  const intl = useIntl();
  const pending = badge.state === 'pending';
  const earnedFor = badge.learning_path_name || badge.milestone_name || badge.course_name;
  const longDate = (value) => intl.formatDate(value, { year: 'numeric', month: 'long', day: 'numeric' });
  const date = longDate(badge.earned_at);
  const expired = Boolean(badge.expires_at && badge.is_expired);
  return (
    <Card
      className="h-100 credly-badge"
      data-badge-id={badge.id}
      data-state={badge.state}
      data-expired={expired ? 'true' : undefined}
    >
      <Card.Section className="d-flex align-items-start">
        <BadgeImage name={badge.name} imageUrl={badge.image_url} size={72} />
        <div className="credly-card__text">
          <h3 className="h4 mb-1 credly-card__name" title={badge.name} tabIndex={-1} ref={headingRef}>
            {badge.name}
          </h3>
          {earnedFor ? <p className="small text-gray-700 mb-0 credly-card__course" title={earnedFor}>{earnedFor}</p> : null}
          <p className="small text-gray-700 mb-0 credly-card__date">{intl.formatMessage(messages.earned, { date })}</p>
          {badge.expires_at ? (
            <p className="small text-gray-700 mb-0 credly-card__date credly-badge__expiry">
              {intl.formatMessage(expired ? messages.expiredOn : messages.expires, { date: longDate(badge.expires_at) })}
            </p>
          ) : null}
        </div>
      </Card.Section>
      <Card.Footer className="d-flex flex-wrap align-items-center justify-content-between credly-card__footer">
        <span>
          <Badge variant={pending ? 'warning' : 'success'} className="credly-badge__state">
            {intl.formatMessage(pending ? messages.pending : messages.accepted)}
          </Badge>
          {expired ? (
            <Badge variant="light" className="ml-2 credly-badge__expired">{intl.formatMessage(messages.expired)}</Badge>
          ) : null}
        </span>
        {pending && badge.accept_url ? (
          <Button
            as="a"
            variant="primary"
            size="sm"
            href={badge.accept_url}
            target="_blank"
            rel="noopener noreferrer"
            aria-label={intl.formatMessage(messages.acceptLabel, { name: badge.name })}
          >
            {intl.formatMessage(messages.accept)}
          </Button>
        ) : null}
        {!pending && badge.badge_url ? (
          <Button
            as="a"
            variant="outline-primary"
            size="sm"
            href={badge.badge_url}
            target="_blank"
            rel="noopener noreferrer"
            aria-label={intl.formatMessage(messages.viewLabel, { name: badge.name })}
          >
            {intl.formatMessage(messages.view)}
          </Button>
        ) : null}
      </Card.Footer>
    </Card>
  );
};

const badgeShape = PropTypes.shape({
  id: PropTypes.string.isRequired,
  name: PropTypes.string.isRequired,
  image_url: PropTypes.string,
  state: PropTypes.string.isRequired,
  earned_at: PropTypes.string.isRequired,
  course_name: PropTypes.string,
  learning_path_name: PropTypes.string,
  milestone_name: PropTypes.string,
  accept_url: PropTypes.string,
  badge_url: PropTypes.string,
  expires_at: PropTypes.string,
  is_expired: PropTypes.bool,
});

BadgeCard.propTypes = {
  badge: badgeShape.isRequired,
  headingRef: PropTypes.oneOfType([PropTypes.func, PropTypes.shape({ current: PropTypes.any })]),
};

const LoadingSkeleton = () => {
  const intl = useIntl();
  return (
    <section className="credly-badges-earned" aria-busy="true" data-testid="credly-badges-loading">
      <span className="sr-only">{intl.formatMessage(messages.loading)}</span>
      <Skeleton width={200} height={28} className="mb-3" />
      <Skeleton height={150} />
    </section>
  );
};

const PathsInProgress = ({ paths }) => {
  const intl = useIntl();
  return (
    <>
      <h3 className="h5 mt-3 mb-2">{intl.formatMessage(messages.onTheWay)}</h3>
      <ul className="list-unstyled mb-0">
        {paths.map((path) => (
          <li key={path.name} className="d-flex flex-wrap align-items-center small mb-2">
            <span className="font-weight-bold mr-3">{path.name}</span>
            <span className="text-gray-700 mr-3">
              {intl.formatMessage(messages.pathCount, { done: path.done, required: path.required })}
            </span>
            <progress
              max={path.required}
              value={path.done}
              aria-label={intl.formatMessage(messages.pathProgress, { name: path.name })}
            />
          </li>
        ))}
      </ul>
    </>
  );
};

PathsInProgress.propTypes = {
  paths: PropTypes.arrayOf(PropTypes.shape({
    name: PropTypes.string.isRequired,
    done: PropTypes.number.isRequired,
    required: PropTypes.number.isRequired,
  })).isRequired,
};

const ALL_USERS = 'all_users';
const PRIVATE = 'private';

/**
 * Who sees the owner's badges, told to the owner only, as the profile tells it of its
 * fields ("Everyone on <site>" / "Just me"). Under ``custom`` profile privacy (what the
 * profile sets on the owner's first visit) the owner chooses, saved with the platform's
 * preferences API; otherwise the profile's own setting decides, and it is only shown.
 */
export const BadgesVisibility = ({ username, visibility, onChange }) => {
  const intl = useIntl();
  const [saving, setSaving] = useState(false);
  const [failed, setFailed] = useState(false);
  const siteName = getConfig().SITE_NAME || '';
  const labels = {
    [ALL_USERS]: intl.formatMessage(messages.visibleToEveryone, { siteName }),
    [PRIVATE]: intl.formatMessage(messages.visibleToMe),
  };
  const shown = visibility.badges === ALL_USERS ? ALL_USERS : PRIVATE;
  if (visibility.account_privacy !== 'custom') {
    return (
      <span className="small text-muted credly-badges-visibility" data-visibility={shown}>
        {labels[shown]}
      </span>
    );
  }
  const choose = (event) => {
    const chosen = event.target.value;
    setSaving(true);
    setFailed(false);
    saveBadgesVisibility(username, chosen).then(() => onChange(chosen)).catch((error) => {
      // eslint-disable-next-line no-console
      console.error('Badges Earned: could not save who sees the badges.', error);
      setFailed(true);
    }).finally(() => setSaving(false));
  };
  const selectId = 'credly-badges-visibility';
  return (
    <div className="credly-badges-visibility credly-badges-visibility--choice" data-visibility={shown}>
      <Form.Label htmlFor={selectId} className="sr-only">{intl.formatMessage(messages.visibilityLabel)}</Form.Label>
      <Form.Control as="select" size="sm" id={selectId} value={shown} onChange={choose} disabled={saving}>
        <option value={ALL_USERS}>{labels[ALL_USERS]}</option>
        <option value={PRIVATE}>{labels[PRIVATE]}</option>
      </Form.Control>
      {failed ? <p className="small text-danger mb-0" role="alert">{intl.formatMessage(messages.visibilityFailed)}</p> : null}
    </div>
  );
};

BadgesVisibility.propTypes = {
  username: PropTypes.string.isRequired,
  visibility: PropTypes.shape({ account_privacy: PropTypes.string, badges: PropTypes.string }).isRequired,
  onChange: PropTypes.func.isRequired,
};

/**
 * The widget in the application's language, without the application's catalogue.
 */
export const BadgesEarnedContent = ({ username = '' }) => {
  const intl = useIntl();
  const owner = profileOwner(username);
  const [state, setState] = useState({
    status: 'loading', badges: [], count: 0, page: 1, hasNext: false, paths: [], visibility: null,
  });
  const [gridRef, columns] = useCardColumns(MIN_CARD_WIDTH_PX, MAX_COLUMNS);
  const [loadingMore, setLoadingMore] = useState(false);
  const firstNewHeading = useRef(null);
  const focusIndex = useRef(null);

  useEffect(() => {
    let live = true;
    setState((previous) => ({ ...previous, status: 'loading' }));
    if (!owner) {
      setState((previous) => ({ ...previous, status: 'empty' }));
      return undefined;
    }
    fetchBadges(owner, 1).then((data) => {
      if (!live) { return; }
      setState({
        status: data.results.length ? 'ready' : 'empty',
        badges: data.results,
        count: data.count,
        page: 1,
        hasNext: Boolean(data.next),
        paths: data.learning_paths_in_progress || [],
        visibility: data.visibility || null,
      });
    }).catch((error) => {
      if (!live) { return; }
      // eslint-disable-next-line no-console
      console.error('Badges Earned: could not load the badges of the profile.', error);
      setState((previous) => ({ ...previous, status: 'error' }));
    });
    return () => { live = false; };
  }, [owner]);

  useEffect(() => {
    // After "Older badges", move the focus to the first badge that came in.
    if (focusIndex.current !== null && firstNewHeading.current) {
      firstNewHeading.current.focus();
      focusIndex.current = null;
    }
  }, [state.badges]);

  const showOlder = useCallback(() => {
    const next = state.page + 1;
    setLoadingMore(true);
    fetchBadges(owner, next).then((data) => {
      focusIndex.current = state.badges.length;
      setState((previous) => ({
        ...previous,
        badges: previous.badges.concat(data.results),
        count: data.count,
        page: next,
        hasNext: Boolean(data.next),
      }));
    }).catch((error) => {
      // eslint-disable-next-line no-console
      console.error('Badges Earned: could not load older badges.', error);
      setState((previous) => ({ ...previous, hasNext: false }));
    }).finally(() => setLoadingMore(false));
  }, [owner, state.page, state.badges.length]);

  if (state.status === 'loading') {
    return <LoadingSkeleton />;
  }
  if (state.status !== 'ready') {
    return null;
  }
  const headingId = 'credly-badges-earned-heading';
  const setVisibility = (badges) => setState((previous) => ({
    ...previous, visibility: { ...previous.visibility, badges },
  }));
  return (
    <section className="credly-badges-earned" aria-labelledby={headingId} ref={gridRef}>
      <div className="d-flex flex-wrap align-items-center justify-content-between mb-4">
        <h2 id={headingId} className="h3 font-weight-bold text-primary-500 m-0 mr-3">
          {intl.formatMessage(messages.heading)}
        </h2>
        {state.visibility ? (
          <BadgesVisibility username={owner} visibility={state.visibility} onChange={setVisibility} />
        ) : null}
      </div>
      <ul className="credly-card-grid mb-3" style={gridStyle(columns)} data-columns={columns}>
        {state.badges.map((badge, index) => (
          <li key={badge.id}>
            <BadgeCard badge={badge} headingRef={index === focusIndex.current ? firstNewHeading : undefined} />
          </li>
        ))}
      </ul>
      {state.count > state.badges.length || state.page > 1 ? (
        <div className="d-flex flex-wrap align-items-center small">
          <span className="text-gray-700 mr-3" aria-live="polite">
            {intl.formatMessage(messages.shownOfTotal, { shown: state.badges.length, total: state.count })}
          </span>
          {state.hasNext ? (
            <Button variant="outline-primary" size="sm" onClick={showOlder} disabled={loadingMore}>
              {intl.formatMessage(messages.olderBadges)}
            </Button>
          ) : null}
        </div>
      ) : null}
      {state.paths.length ? <PathsInProgress paths={state.paths} /> : null}
    </section>
  );
};

BadgesEarnedContent.propTypes = { username: PropTypes.string };

/**
 * "Badges Earned" on a learner's profile: a ``DIRECT_PLUGIN`` of frontend-plugin-framework.
 *
 * Takes the application's language from the surrounding ``IntlProvider`` and brings its
 * own catalogue. Renders a skeleton while loading, then the badges the viewer may see,
 * or nothing at all (no badge, a private profile, an API failure).
 */
const BadgesEarned = ({ username = '' }) => {
  const { locale } = useIntl();
  return (
    <IntlProvider locale={locale} messages={catalogueFor(locale) || {}} defaultLocale="en">
      <BadgesEarnedContent username={username} />
    </IntlProvider>
  );
};

BadgesEarned.propTypes = {
  /** The profile's owner; by default read from the profile MFE's route, /u/:username. */
  username: PropTypes.string,
};

export default BadgesEarned;
