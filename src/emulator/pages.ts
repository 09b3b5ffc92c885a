/** The emulator's sign-in and consent pages: plain forms, no JavaScript, stable field names. */

export function escapeHtml(value: string): string {
  return value
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
body{font-family:"Segoe UI",system-ui,sans-serif;background:#f2f2f2;margin:0}
main{max-width:440px;margin:48px auto;background:#fff;padding:44px;box-shadow:0 2px 6px rgba(0,0,0,.2)}
h1{font-size:24px;font-weight:600;margin:0 0 16px}
label{display:block;margin:12px 0 4px}
input[type=text],input[type=email],input[type=password]{width:100%;box-sizing:border-box;padding:6px;font-size:15px}
button{margin-top:20px;margin-right:8px;padding:6px 20px;font-size:15px}
.primary{background:#0067b8;color:#fff;border:0}
.error{color:#e81123}
.brand{color:#737373;font-size:13px;margin-bottom:12px}
li{margin:4px 0}
</style>
</head>
<body><main><div class="brand">Microsoft (emulator)</div>
${body}
</main></body>
</html>`;
}

export function signInPage(input: { flow: string; error?: string; login?: string }): string {
  return layout(
    "Sign in to your account",
    `<h1>Sign in</h1>
${input.error ? `<p class="error" role="alert">${escapeHtml(input.error)}</p>` : ""}
<form method="post">
<input type="hidden" name="flow" value="${escapeHtml(input.flow)}">
<label for="login">Email, phone, or Skype</label>
<input type="email" id="login" name="login" autocomplete="username" required value="${escapeHtml(input.login ?? "")}">
<label for="passwd">Password</label>
<input type="password" id="passwd" name="passwd" autocomplete="current-password" required>
<button type="submit" class="primary">Sign in</button>
</form>`,
  );
}

export function consentPage(input: {
  flow: string;
  appName: string;
  userName: string;
  permissions: string[];
  applicationPermissions: boolean;
  showOnBehalf: boolean;
}): string {
  const items = input.permissions.map((p) => `<li>${escapeHtml(p)}</li>`).join("\n");
  return layout(
    "Permissions requested",
    `<h1>Permissions requested</h1>
<p><strong>${escapeHtml(input.appName)}</strong></p>
<p>Signed in as ${escapeHtml(input.userName)}</p>
<p>${input.applicationPermissions ? "This app would like to (for your whole organization, without a signed-in user):" : "This app would like to:"}</p>
<ul>
${items}
</ul>
<form method="post">
<input type="hidden" name="flow" value="${escapeHtml(input.flow)}">
${
  input.showOnBehalf
    ? `<label><input type="checkbox" id="consent_on_behalf" name="consent_on_behalf" value="1"> Consent on behalf of your organization</label>`
    : ""
}
<button type="submit" name="accept" value="1" class="primary">Accept</button>
<button type="submit" name="cancel" value="1">Cancel</button>
</form>`,
  );
}

export function errorPage(input: { title: string; message: string; backHref?: string }): string {
  return layout(
    input.title,
    `<h1>${escapeHtml(input.title)}</h1>
<p class="error" role="alert">${escapeHtml(input.message)}</p>
${input.backHref ? `<p><a id="back" href="${escapeHtml(input.backHref)}">Return to the application without granting consent</a></p>` : ""}`,
  );
}

export function formPostPage(action: string, fields: Record<string, string>): string {
  const inputs = Object.entries(fields)
    .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`)
    .join("\n");
  return layout(
    "Working...",
    `<form method="post" action="${escapeHtml(action)}">
${inputs}
<button type="submit" class="primary">Continue</button>
</form>`,
  );
}
