import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  closeTestServices,
  createTestServices,
  type TestServices,
} from "../../../../test/harness.ts";
import type { Who } from "../../authz/actor.ts";
import { inTransaction } from "../../context.ts";
import { invitations } from "../../db/schema/index.ts";
import { buildOrganization, buildWorld, type World } from "../../db/seed/factories.ts";
import {
  checkInvitationCode,
  consumeInvitation,
  getLiveInvitation,
  issueInvitation,
  maxCodeAttempts,
} from "./index.ts";
import { sendInvitationEmailJob } from "./jobs/send-invitation-email.job.ts";

const system: Who = { actor: null, label: "system", clientAddress: null };

let services: TestServices;
let world: World;
beforeAll(async () => {
  services = await createTestServices();
  world = await buildWorld(services.db);
});
afterAll(() => closeTestServices(services));

async function invite(email = `inv-${Math.random().toString(36).slice(2)}@example.com`) {
  const organization = await buildOrganization(services.db, {
    kind: "reseller",
    parent: world.a.master,
    status: "invited",
    email,
  });
  const invitation = await inTransaction(services, system, (ctx) =>
    issueInvitation(ctx, {
      kind: "organization_activation",
      targetId: organization.id,
      email,
      createdBy: null,
    }),
  );
  return { organization, invitation, email };
}

/** The link token and code of the last mail to `email`, as the recipient reads them. */
function fromMail(email: string) {
  const mail = services.mailer.to(email).at(-1)!;
  return {
    mail,
    token: /activate\?token=([\w-]+)/.exec(mail.text)![1]!,
    code: /Invitation code: ([A-Z0-9-]+)/.exec(mail.text)![1]!,
  };
}

const stateOf = async (id: string) =>
  (await services.db.select().from(invitations).where(eq(invitations.id, id)))[0]!;

describe("invitation e-mail", () => {
  it("is sent by the job with a code and a link, and the record says sent", async () => {
    const { invitation, email, organization } = await invite();
    expect((await stateOf(invitation.id)).mailState).toBe("queued");
    await services.drain(sendInvitationEmailJob.name);
    const { mail, token, code } = fromMail(email);
    expect(mail.subject).toContain(organization.name);
    expect(mail.html).toContain(code);
    // The link also says whom it invites, so the activation form starts with the e-mail filled in.
    expect(mail.text).toContain(
      `http://teamgate.test/activate?token=${token}&email=${encodeURIComponent(email)}`,
    );
    const row = await stateOf(invitation.id);
    expect(row).toMatchObject({ mailState: "sent", mailError: null });
    // only hashes are stored
    expect(JSON.stringify(row)).not.toContain(token);
    expect(JSON.stringify(row)).not.toContain(code.replace("-", ""));
  });

  it("records the error, keeps retrying, and marks the mail failed after the last attempt", async () => {
    const { invitation } = await invite();
    const [job] = await services.boss.fetch(sendInvitationEmailJob.name, { includeMetadata: true });
    services.mailer.failWith = new Error("SMTP 451 try later");
    try {
      await expect(
        sendInvitationEmailJob.handle(services, job!.data as never, {
          id: job!.id,
          attempt: 1,
          isLastAttempt: false,
        }),
      ).rejects.toThrow();
      expect(await stateOf(invitation.id)).toMatchObject({
        mailState: "queued",
        mailError: "SMTP 451 try later",
      });
      await expect(
        sendInvitationEmailJob.handle(services, job!.data as never, {
          id: job!.id,
          attempt: 7,
          isLastAttempt: true,
        }),
      ).rejects.toThrow();
      expect((await stateOf(invitation.id)).mailState).toBe("failed");
    } finally {
      services.mailer.failWith = null;
      await services.boss.complete(sendInvitationEmailJob.name, job!.id);
    }
  });

  it("is not sent for an invitation revoked before its job ran", async () => {
    const { invitation, email, organization } = await invite();
    await inTransaction(services, system, (ctx) =>
      issueInvitation(ctx, {
        kind: "organization_activation",
        targetId: organization.id,
        email,
        createdBy: null,
      }),
    );
    expect((await stateOf(invitation.id)).revokedAt).not.toBeNull();
    await services.drain(sendInvitationEmailJob.name);
    expect(services.mailer.to(email)).toHaveLength(1);
  });
});

describe("invitation codes", () => {
  it("accept the right code once, in any case, and refuse a wrong one with the attempts left", async () => {
    const { email } = await invite();
    await services.drain(sendInvitationEmailJob.name);
    const { token, code } = fromMail(email);
    await expect(
      checkInvitationCode(services, { kind: "organization_activation", token, code: "AAAA-AAAA" }),
    ).rejects.toMatchObject({
      code: "validation_failed",
      fields: { code: `The invitation code is not correct (${maxCodeAttempts - 1} attempts left)` },
    });
    const invitation = await checkInvitationCode(services, {
      kind: "organization_activation",
      token,
      code: code.toLowerCase(),
    });
    expect(
      await services.db.transaction((tx) => consumeInvitation(tx, invitation.id, new Date())),
    ).toBe(true);
    expect(
      await services.db.transaction((tx) => consumeInvitation(tx, invitation.id, new Date())),
    ).toBe(false);
    await expect(
      getLiveInvitation(services, "organization_activation", token),
    ).rejects.toMatchObject({ code: "invitation_invalid" });
  });

  it("stop working after too many wrong codes, after expiry, and for the other kind", async () => {
    const { email } = await invite();
    await services.drain(sendInvitationEmailJob.name);
    const { token, code } = fromMail(email);
    await expect(
      getLiveInvitation(services, "enterprise_registration", token),
    ).rejects.toMatchObject({ code: "invitation_invalid" });
    const later = { ...services, now: () => new Date(Date.now() + 8 * 86_400_000) };
    await expect(getLiveInvitation(later, "organization_activation", token)).rejects.toMatchObject({
      code: "invitation_invalid",
    });
    for (let i = 0; i < maxCodeAttempts - 1; i++) {
      await expect(
        checkInvitationCode(services, {
          kind: "organization_activation",
          token,
          code: "WRONG-CODE",
        }),
      ).rejects.toMatchObject({ code: "validation_failed" });
    }
    await expect(
      checkInvitationCode(services, { kind: "organization_activation", token, code: "WRONG-CODE" }),
    ).rejects.toMatchObject({ code: "invitation_invalid" });
    await expect(
      checkInvitationCode(services, { kind: "organization_activation", token, code }),
    ).rejects.toMatchObject({ code: "invitation_invalid" });
  });
});
