/*
 * The plain-words sentences of "Course badges": how a badge is earned, how long it stays
 * valid, and the learner's grade against the rule. The LMS gives the rule as data
 * (GET /api/credly/v1/courses/<course_id>/badges/); the sentence is written here, in the
 * MFE's language and number format ("90%" in English, "90 %" in French).
 */
import messages from './courseMessages';

const SINGLE_MODE_RULES = {
  verified: messages.ruleCertificateVerified,
  professional: messages.ruleCertificateProfessional,
  'no-id-professional': messages.ruleCertificateProfessional,
  honor: messages.ruleCertificateHonor,
};

const MODE_NAMES = {
  verified: messages.modeVerified,
  professional: messages.modeProfessional,
  'no-id-professional': messages.modeProfessional,
  honor: messages.modeHonor,
};

/** ``value`` (a percent, 0 to 100) in the locale's percent format. */
export function formatPercent(intl, value) {
  return intl.formatNumber(value / 100, { style: 'percent', maximumFractionDigits: 2 });
}

function modeList(intl, modes) {
  const names = [...new Set(modes.map((mode) => (MODE_NAMES[mode] ? intl.formatMessage(MODE_NAMES[mode]) : mode)))];
  return intl.formatList ? intl.formatList(names, { type: 'disjunction' }) : names.join(', ');
}

function courseAction(intl, rule) {
  if (rule.trigger === 'passing') {
    return intl.formatMessage(messages.rulePassing);
  }
  const modes = rule.modes || [];
  if (!modes.length) {
    return intl.formatMessage(messages.ruleCertificate);
  }
  // One kind of certificate (professional and no-id-professional are one to the learner): its own sentence.
  const sentences = new Set(modes.map((mode) => SINGLE_MODE_RULES[mode]));
  if (sentences.size === 1 && !sentences.has(undefined)) {
    return intl.formatMessage([...sentences][0]);
  }
  return intl.formatMessage(messages.ruleCertificateModes, { modes: modeList(intl, modes) });
}

/** How the badge is earned, in one sentence ("Earn a verified certificate with a grade of 90% or more"). */
export function ruleSentence(intl, rule) {
  if (rule.kind === 'learning_path') {
    const count = rule.courses_in_path;
    const name = rule.learning_path_name;
    if (rule.courses_required != null && rule.courses_required < count) {
      return intl.formatMessage(messages.rulePathAtLeast, { required: rule.courses_required, count, name });
    }
    return intl.formatMessage(messages.rulePathAll, { count, name });
  }
  const min = rule.min_grade != null ? formatPercent(intl, rule.min_grade) : null;
  const max = rule.max_grade != null ? formatPercent(intl, rule.max_grade) : null;
  if (rule.trigger === 'grade') {
    return max
      ? intl.formatMessage(messages.ruleGradeRange, { min, max })
      : intl.formatMessage(messages.ruleGrade, { min });
  }
  const action = courseAction(intl, rule);
  if (min && max) {
    return intl.formatMessage(messages.ruleWithRange, { rule: action, min, max });
  }
  if (min) {
    return intl.formatMessage(messages.ruleWithMin, { rule: action, min });
  }
  if (max) {
    return intl.formatMessage(messages.ruleWithMax, { rule: action, max });
  }
  return action;
}

/** The expiry rule of a badge not earned yet ("Valid for 24 months once earned"), or null. */
export function validitySentence(intl, rule) {
  return rule.expires_in_months ? intl.formatMessage(messages.validFor, { months: rule.expires_in_months }) : null;
}

/** The learner's grade against a grade rule ("Your grade: 72% (90% needed)"), or null. */
export function gradeSentence(intl, badge) {
  if (badge.current_grade == null || badge.rule.min_grade == null) {
    return null;
  }
  return intl.formatMessage(messages.yourGrade, {
    grade: formatPercent(intl, badge.current_grade), min: formatPercent(intl, badge.rule.min_grade),
  });
}
