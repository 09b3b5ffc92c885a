import { sql } from "drizzle-orm";
import { newIds } from "../../../../shared/ids.ts";
import type { Ctx } from "../../../context.ts";
import { callingSnapshot } from "../calling.presenter.ts";
import type { CallingRow } from "../calling.queries.ts";
import type { CallingFacts } from "../calling.rules.ts";
import { teamsPushJob } from "../jobs/teams-push.job.ts";
import type { ImportRow } from "./validate-users-import.ts";

/** Where the users' events sit in the tree, and who the audit log names. */
export interface ImportContext {
  enterprise: { id: string; masterResellerId: string | null; resellerId: string };
  push: boolean;
  actor: { accountId: string | null; label: string; clientAddress: string | null };
}

const json = (value: unknown) => JSON.stringify(value);

/**
 * Writes a chunk of validated rows (passwords already sealed; `facts` from the chunk's check) as a handful of set-based
 * statements, whatever its size: the configurations (new ones take the PBX location's caller
 * defaults; an update keeps the tag, dial plan and caller settings the file does not carry), the
 * devices (an empty password keeps the stored one), the numbers in the inventory, one event per
 * user, and the users' pushes to Teams. Returns how many rows created and updated a user.
 */
export async function applyImportRows(
  ctx: Ctx,
  on: ImportContext,
  rows: readonly ImportRow[],
  facts: Pick<CallingFacts, "pbxes" | "existing">,
): Promise<{ created: number; updated: number }> {
  if (rows.length === 0) return { created: 0, updated: 0 };
  const { tx, now } = ctx;
  const enterpriseId = on.enterprise.id;
  const userIds = rows.map((r) => r.userId);
  const idArray = `{${userIds.join(",")}}`;
  // The chunk's check just read the locations and the existing configurations.
  const pbxById = facts.pbxes;
  const before = facts.existing;
  const at = now.toISOString();
  const teamsState = on.push ? "pending" : "waiting";

  const records = rows.map((r) => {
    const pbx = pbxById.get(r.input.pbxId)!;
    return {
      user_id: r.userId,
      service: r.input.service,
      pbx_id: r.input.pbxId,
      region_id: r.input.regionId,
      sip_user: r.input.service === "pbx" ? r.input.sipUser : null,
      phone_number: r.input.phoneNumber,
      forwarded_dids: r.input.service === "trunk" ? r.input.forwardedDids : [],
      teams_voicemail: r.input.teamsVoicemail,
      caller_name_policy: pbx.callerNamePolicy,
      caller_name: pbx.callerNamePolicy === "OTHER" ? pbx.callerName : null,
      forwarded_caller_id: pbx.forwardedCallerId,
    };
  });
  await tx.execute(sql`
    insert into calling_users (user_id, enterprise_id, service, pbx_id, region_id, sip_user,
      phone_number, forwarded_dids, teams_voicemail, caller_name_policy, caller_name,
      forwarded_caller_id, teams_state, teams_requested_at, created_at, updated_at)
    select r.user_id, ${enterpriseId}, r.service, r.pbx_id, r.region_id, r.sip_user,
      r.phone_number, array(select json_array_elements_text(r.forwarded_dids)), r.teams_voicemail,
      r.caller_name_policy, r.caller_name, r.forwarded_caller_id, ${teamsState},
      ${at}::timestamptz, ${at}::timestamptz, ${at}::timestamptz
    from json_to_recordset(${json(records)}::json) as r(user_id text, service text, pbx_id text,
      region_id text, sip_user text, phone_number text, forwarded_dids json,
      teams_voicemail boolean, caller_name_policy text, caller_name text,
      forwarded_caller_id text)
    on conflict (user_id) do update set service = excluded.service, pbx_id = excluded.pbx_id,
      region_id = excluded.region_id, sip_user = excluded.sip_user,
      phone_number = excluded.phone_number, forwarded_dids = excluded.forwarded_dids,
      teams_voicemail = excluded.teams_voicemail, teams_state = excluded.teams_state,
      teams_error = null, teams_attempts = 0, teams_requested_at = excluded.teams_requested_at,
      updated_at = excluded.updated_at`);

  const devicesOf = rows.filter((r) => r.input.service === "pbx");
  if (devicesOf.length > 0) {
    const ids = newIds("device", devicesOf.length);
    const deviceRecords = devicesOf.map((r, i) => ({
      id: ids[i],
      user_id: r.userId,
      sip_auth_id: r.input.sipAuthId,
      sip_password: r.input.sipPassword ?? "",
    }));
    await tx.execute(sql`
      insert into devices (id, user_id, enterprise_id, sip_auth_id, sip_password, created_at, updated_at)
      select r.id, r.user_id, ${enterpriseId}, r.sip_auth_id, r.sip_password, ${at}::timestamptz, ${at}::timestamptz
      from json_to_recordset(${json(deviceRecords)}::json) as r(id text, user_id text, sip_auth_id text, sip_password text)
      on conflict (user_id) do update set sip_auth_id = excluded.sip_auth_id,
        sip_password = case when excluded.sip_password = '' then devices.sip_password else excluded.sip_password end,
        updated_at = excluded.updated_at`);
  }
  const trunkIds = rows.filter((r) => r.input.service === "trunk").map((r) => r.userId);
  if (trunkIds.length > 0)
    await tx.execute(
      sql`delete from devices where user_id = any(${`{${trunkIds.join(",")}}`}::text[])`,
    );

  const pairs = json(
    records.flatMap((r) =>
      [r.phone_number, ...r.forwarded_dids].map((number) => ({ user_id: r.user_id, number })),
    ),
  );
  await tx.execute(sql`
    update phone_numbers n set state = 'available', assigned_user_id = null, updated_at = ${at}::timestamptz
    where n.assigned_user_id = any(${idArray}::text[])
      and not exists (select 1 from json_to_recordset(${pairs}::json) as p(user_id text, number text)
        where p.user_id = n.assigned_user_id and p.number = n.number)`);
  await tx.execute(sql`
    update phone_numbers n set state = 'assigned', assigned_user_id = p.user_id, updated_at = ${at}::timestamptz
    from json_to_recordset(${pairs}::json) as p(user_id text, number text)
    where n.number = p.number and n.enterprise_id = ${enterpriseId}`);

  const eventRecords = rows.map((r, i) => {
    const was = before.get(r.userId);
    const record = records[i]!;
    // What the upsert wrote, over what an update keeps (no read back).
    const now = callingSnapshot({
      ...(was ?? { tag: null, assignDialPlan: true }),
      ...(was
        ? {}
        : {
            callerNamePolicy: record.caller_name_policy,
            callerName: record.caller_name,
            forwardedCallerId: record.forwarded_caller_id,
          }),
      service: record.service,
      pbxId: record.pbx_id,
      regionId: record.region_id,
      sipUser: record.sip_user,
      phoneNumber: record.phone_number,
      forwardedDids: record.forwarded_dids,
      teamsVoicemail: record.teams_voicemail,
    } as CallingRow);
    return was
      ? {
          name: "user.calling_updated",
          user_id: r.userId,
          payload: { before: callingSnapshot(was), after: now },
        }
      : { name: "user.calling_configured", user_id: r.userId, payload: { after: now } };
  });
  await tx.execute(sql`
    insert into events (name, actor_account_id, actor_label, client_address, subject_type,
      subject_id, subject_label, master_reseller_id, reseller_id, enterprise_id, payload)
    select r.name, ${on.actor.accountId}, ${on.actor.label}, ${on.actor.clientAddress}, 'user',
      r.user_id, u.display_name, ${on.enterprise.masterResellerId}, ${on.enterprise.resellerId},
      ${enterpriseId}, r.payload
    from json_to_recordset(${json(eventRecords)}::json) as r(name text, user_id text, payload jsonb)
    join users u on u.id = r.user_id`);

  if (on.push)
    await ctx.enqueueMany(
      teamsPushJob,
      userIds.map((userId) => ({ enterpriseId, userId })),
      (d) => d.userId,
    );
  const updated = rows.filter((r) => before.has(r.userId)).length;
  return { created: rows.length - updated, updated };
}
