import { eq } from "drizzle-orm";
import { z } from "zod";
import { accounts, passwordResets } from "../../../db/schema/index.ts";
import { passwordResetMail } from "../../../integrations/mail/templates.ts";
import { defineJob } from "../../../jobs/define-job.ts";
import { unseal } from "../../../lib/secrets.ts";

/** Sends a password-reset link. The token travels sealed (encrypted), never in clear in the queue. */
export const sendPasswordResetJob = defineJob({
  name: "accounts.send-password-reset",
  schema: z.object({ resetId: z.string(), sealedToken: z.string() }),
  options: { retryLimit: 5 },
  async handle(services, data) {
    const [row] = await services.db
      .select({ reset: passwordResets, account: accounts })
      .from(passwordResets)
      .innerJoin(accounts, eq(accounts.id, passwordResets.accountId))
      .where(eq(passwordResets.id, data.resetId));
    if (!row || row.reset.usedAt || row.reset.expiresAt <= services.now()) return; // nothing left to send
    const token = unseal<string>(services.secret, data.sealedToken);
    await services.mailer.send(
      passwordResetMail({
        to: row.account.email,
        name: row.account.name,
        url: `${services.publicUrl}/reset-password?token=${encodeURIComponent(token)}`,
        expiresAt: row.reset.expiresAt,
      }),
    );
  },
});
