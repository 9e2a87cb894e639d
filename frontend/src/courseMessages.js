import { defineMessages } from '@edx/frontend-platform/i18n';

// The words of "Course badges" (the learning MFE). Badge states and buttons shared with
// the profile widget come from ./messages.
const courseMessages = defineMessages({
  heading: {
    id: 'credly.course.heading',
    defaultMessage: 'Course badges',
    description: 'Heading of the badges a course awards, on the Progress tab of the course.',
  },
  exitHeading: {
    id: 'credly.course.exit.heading',
    defaultMessage: '{count, plural, one {You earned a badge} other {You earned # badges}}',
    description: 'Heading on the course exit ("Congratulations") page when the learner earned badges of the course.',
  },
  loading: {
    id: 'credly.course.loading',
    defaultMessage: 'Loading the course badges',
    description: 'Screen reader text while the course badges load.',
  },
  rulePassing: {
    id: 'credly.course.rule.passing',
    defaultMessage: 'Pass the course',
    description: 'How a badge is earned: by passing the course.',
  },
  ruleCertificate: {
    id: 'credly.course.rule.certificate',
    defaultMessage: 'Earn a certificate',
    description: 'How a badge is earned: by earning the course certificate, of any kind.',
  },
  ruleCertificateVerified: {
    id: 'credly.course.rule.certificate.verified',
    defaultMessage: 'Earn a verified certificate',
    description: 'How a badge is earned: by earning a verified certificate.',
  },
  ruleCertificateProfessional: {
    id: 'credly.course.rule.certificate.professional',
    defaultMessage: 'Earn a professional certificate',
    description: 'How a badge is earned: by earning a professional certificate.',
  },
  ruleCertificateHonor: {
    id: 'credly.course.rule.certificate.honor',
    defaultMessage: 'Earn an honor certificate',
    description: 'How a badge is earned: by earning an honor code certificate.',
  },
  ruleCertificateModes: {
    id: 'credly.course.rule.certificate.modes',
    defaultMessage: 'Earn a certificate ({modes})',
    description: 'How a badge is earned: a certificate of one of some kinds, e.g. "(verified or professional)".',
  },
  ruleWithMin: {
    id: 'credly.course.rule.with.min',
    defaultMessage: '{rule} with a grade of {min} or more',
    description: 'A rule with a minimum grade, e.g. "Earn a verified certificate with a grade of 90% or more".',
  },
  ruleWithRange: {
    id: 'credly.course.rule.with.range',
    defaultMessage: '{rule} with a grade of at least {min} and below {max}',
    description: 'A rule with a grade range, e.g. "Pass the course with a grade of at least 80% and below 90%".',
  },
  ruleWithMax: {
    id: 'credly.course.rule.with.max',
    defaultMessage: '{rule} with a grade below {max}',
    description: 'A rule with a maximum grade only, e.g. "Pass the course with a grade below 80%".',
  },
  ruleGrade: {
    id: 'credly.course.rule.grade',
    defaultMessage: 'Reach a course grade of {min} or more',
    description: 'How a badge is earned: the course grade reaching a minimum, e.g. "Reach a course grade of 80% or more".',
  },
  ruleGradeRange: {
    id: 'credly.course.rule.grade.range',
    defaultMessage: 'Reach a course grade of at least {min} and below {max}',
    description: 'How a badge is earned: the course grade within a range.',
  },
  rulePathAll: {
    id: 'credly.course.rule.path.all',
    defaultMessage: '{count, plural, one {Complete the one course of the {name} path} =2 {Complete both courses of the {name} path} other {Complete all # courses of the {name} path}}',
    description: 'How a learning path badge is earned, e.g. "Complete all 4 courses of the Data Analyst path".',
  },
  rulePathAtLeast: {
    id: 'credly.course.rule.path.at.least',
    defaultMessage: 'Complete {required} of the {count} courses of the {name} path',
    description: 'How a learning path badge is earned, e.g. "Complete 3 of the 4 courses of the Data Analyst path".',
  },
  modeVerified: {
    id: 'credly.course.mode.verified',
    defaultMessage: 'verified',
    description: 'The verified certificate mode, in a list such as "verified or professional".',
  },
  modeProfessional: {
    id: 'credly.course.mode.professional',
    defaultMessage: 'professional',
    description: 'The professional certificate mode, in a list such as "verified or professional".',
  },
  modeHonor: {
    id: 'credly.course.mode.honor',
    defaultMessage: 'honor',
    description: 'The honor code certificate mode, in a list such as "honor or verified".',
  },
  validFor: {
    id: 'credly.course.valid.for',
    defaultMessage: '{months, plural, one {Valid for # month once earned} other {Valid for # months once earned}}',
    description: 'How long a badge stays valid after it is earned.',
  },
  notYet: {
    id: 'credly.course.status.not.yet',
    defaultMessage: 'Not earned yet',
    description: 'Status of a badge the learner has not earned yet.',
  },
  yourGrade: {
    id: 'credly.course.status.grade',
    defaultMessage: 'Your grade: {grade} ({min} needed)',
    description: 'The learner\'s current course grade against the rule, e.g. "Your grade: 72% (90% needed)".',
  },
  pathDone: {
    id: 'credly.course.status.path.done',
    defaultMessage: '{done} of {required} courses completed',
    description: 'Courses of a learning path completed, e.g. "2 of 4 courses completed".',
  },
  issuing: {
    id: 'credly.course.status.issuing',
    defaultMessage: 'Being issued',
    description: 'Status of a badge earned and on its way to Credly.',
  },
  issuingHelp: {
    id: 'credly.course.status.issuing.help',
    defaultMessage: 'Credly will send it to you shortly.',
    description: 'Explains the "Being issued" status.',
  },
  earned: {
    id: 'credly.course.status.earned',
    defaultMessage: 'Earned',
    description: 'Status of a badge the learner earned.',
  },
});

export default courseMessages;
