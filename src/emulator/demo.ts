import type { EmulatorControl, SeedUser } from "./index.ts";

/** The demo tenant's sign-ins, printed in the start banner. */
export const demoLogins = {
  globalAdministrator: {
    userPrincipalName: "admin@contoso.onmicrosoft.com",
    password: "Contoso-Admin-1",
  },
  teamsAdministrator: {
    userPrincipalName: "teams.admin@contoso.onmicrosoft.com",
    password: "Contoso-Teams-1",
  },
  userPassword: "Contoso-User-1",
} as const;

const firstNames = [
  "Adele",
  "Alex",
  "Allan",
  "Christie",
  "Debra",
  "Diego",
  "Emily",
  "Enrico",
  "Grady",
  "Henrietta",
  "Irvin",
  "Isaiah",
  "Johanna",
  "Joni",
  "Lee",
  "Lidia",
  "Lynne",
  "Megan",
  "Miriam",
  "Nestor",
  "Patti",
  "Pradeep",
  "Raul",
  "Sanjay",
  "Tomas",
];
const lastNames = [
  "Vance",
  "Wilber",
  "Deyoung",
  "Cline",
  "Berg",
  "Siciliani",
  "Braun",
  "Rossi",
  "Archie",
  "Mayer",
];

/**
 * Seeds "Contoso": a Global Administrator, a Teams Administrator, `licensed` users with Teams and
 * Teams Phone, a few unlicensed ones, and the groups "Sales" and "Support".
 */
export function seedDemoTenant(
  control: EmulatorControl,
  options: { licensed?: number; unlicensed?: number } = {},
): ReturnType<EmulatorControl["seedTenant"]> {
  const domain = "contoso.onmicrosoft.com";
  const users: SeedUser[] = [
    {
      userPrincipalName: demoLogins.globalAdministrator.userPrincipalName,
      displayName: "Contoso Admin",
      password: demoLogins.globalAdministrator.password,
      roles: ["globalAdministrator"],
      licenses: ["teams"],
    },
    {
      userPrincipalName: demoLogins.teamsAdministrator.userPrincipalName,
      displayName: "Teams Admin",
      password: demoLogins.teamsAdministrator.password,
      roles: ["teamsAdministrator"],
      licenses: ["teams", "teamsPhone"],
    },
  ];
  const licensed = options.licensed ?? 50;
  const unlicensed = options.unlicensed ?? 4;
  for (let i = 0; i < licensed + unlicensed; i++) {
    const first = firstNames[i % firstNames.length] ?? "User";
    const last = lastNames[Math.floor(i / firstNames.length) % lastNames.length] ?? "Demo";
    const isLicensed = i < licensed;
    users.push({
      userPrincipalName: `${first}.${last}${i >= 250 ? i : ""}@${domain}`.toLowerCase(),
      displayName: `${first} ${last}`,
      password: demoLogins.userPassword,
      licenses: isLicensed ? ["teams", "teamsPhone"] : [],
      groups: isLicensed ? [i % 2 === 0 ? "Sales" : "Support"] : [],
    });
  }
  return control.seedTenant({
    displayName: "Contoso",
    domain,
    users,
    groups: ["Sales", "Support"],
  });
}
