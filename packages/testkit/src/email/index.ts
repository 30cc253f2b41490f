export { composeMail, type TestMail } from './compose.js';
export { Dovecot, dovecotSkipReason, dovecotUnavailable, type MailUser } from './dovecot.js';
export { type CapturedMail, firstAddress, SmtpCapture } from './smtp-capture.js';
