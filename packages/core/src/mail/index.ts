/**
 * @module
 * The SMTP implementation of the `Mailer` port (password-reset and welcome mail), on nodemailer.
 */
export { createSmtpMailer, type SmtpMailer, type SmtpMailerOptions } from './smtp-mailer.js';
