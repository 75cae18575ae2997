import nodemailer from 'nodemailer';

export interface Mailer {
  send(mail: { from: string; to: string; subject: string; text: string }): Promise<void>;
  close(): void;
}

/** Nodemailer over SMTP, from a URL such as smtp://user:pass@host:587 or smtps://…:465. */
export function createSmtpMailer(url: string): Mailer {
  const transport = nodemailer.createTransport(url);
  return {
    async send(mail) {
      await transport.sendMail(mail);
    },
    close: () => transport.close(),
  };
}
