import type { QueryClient } from "@tanstack/react-query";
import {
  createRootRouteWithContext,
  createRoute,
  createRouter,
  Outlet,
  redirect,
} from "@tanstack/react-router";
import {
  type EnterpriseSignInFailure,
  enterpriseSignInFailures,
  type PermissionsConsentFailure,
  permissionsConsentFailures,
} from "../shared/contracts/enterprise-portal.ts";
import { setCsrfToken } from "./api/client.ts";
import { createQueryClient } from "./api/query-client.ts";
import { AppLayout } from "./app/AppLayout.tsx";
import { EnterpriseLayout } from "./app/EnterpriseLayout.tsx";
import { NotFoundPage } from "./app/NotFoundPage.tsx";
import { PublicLayout } from "./app/PublicLayout.tsx";
import { RequireAbility } from "./app/RequireAbility.tsx";
import {
  cursorListSearchOf,
  enterpriseStatuses,
  listSearchOf,
  organizationStatuses,
} from "./components/list-search.ts";
import { PageLoader } from "./components/PageLoader.tsx";
import { QueryError } from "./components/QueryError.tsx";
import {
  AdminsPage,
  MasterResellerAdminsPage,
  ResellerAdminsPage,
} from "./modules/admins/AdminsPage.tsx";
import { AuditLogPage } from "./modules/audit/AuditLogPage.tsx";
import { ChangePasswordPage } from "./modules/auth/ChangePasswordPage.tsx";
import { ForgotPasswordPage } from "./modules/auth/ForgotPasswordPage.tsx";
import { ResetPasswordPage } from "./modules/auth/ResetPasswordPage.tsx";
import { SignInPage } from "./modules/auth/SignInPage.tsx";
import { homeOf, landingPath, sessionKey, sessionQuery } from "./modules/auth/session.ts";
import {
  EnterpriseCallPage,
  EnterpriseCallsPage,
  ProviderCallPage,
  ProviderCallsPage,
} from "./modules/calls/CallsPages.tsx";
import { PbxTypesPage } from "./modules/catalog/PbxTypesPage.tsx";
import { RegionsPage } from "./modules/catalog/RegionsPage.tsx";
import {
  EnterpriseActivityPage,
  EnterpriseDashboardPage,
  EnterpriseNumbersPage,
  EnterprisePbxLocationsPage,
  EnterpriseUserPage,
  EnterpriseUsersPage,
} from "./modules/enterprise-portal/EnterpriseHomePages.tsx";
import { EnterpriseSignInPage } from "./modules/enterprise-portal/EnterpriseSignInPage.tsx";
import {
  ProviderEnterprisePage,
  ProviderUserPage,
} from "./modules/enterprise-portal/ProviderEnterprisePage.tsx";
import { SyncGroupsPage } from "./modules/enterprise-portal/SyncGroupsPage.tsx";
import { usersSearchOf } from "./modules/enterprise-portal/users-search.ts";
import {
  AddEnterprisePage,
  EditEnterprisePage,
} from "./modules/enterprises/EnterpriseFormPage.tsx";
import { EnterprisesPage } from "./modules/enterprises/EnterprisesPage.tsx";
import { GatewayNodesPage } from "./modules/gateway-feed/GatewayNodesPage.tsx";
import { ActivatePage } from "./modules/invitations/ActivatePage.tsx";
import { CompletePage } from "./modules/invitations/CompletePage.tsx";
import {
  RegistrationFailedPage,
  RegistrationFinishingPage,
  registrationReasonOf,
} from "./modules/invitations/RegistrationResultPages.tsx";
import {
  AddMasterResellerPage,
  EditMasterResellerPage,
} from "./modules/master-resellers/MasterResellerFormPage.tsx";
import { MasterResellersPage } from "./modules/master-resellers/MasterResellersPage.tsx";
import { AddResellerPage, EditResellerPage } from "./modules/resellers/ResellerFormPage.tsx";
import { ResellersPage } from "./modules/resellers/ResellersPage.tsx";

export interface RouterContext {
  queryClient: QueryClient;
}

type SignInNotice = "activated" | "password_reset" | "signed_out" | "session_ended";
const signInNotices: readonly SignInNotice[] = [
  "activated",
  "password_reset",
  "signed_out",
  "session_ended",
];

type EnterpriseSignInNotice = "signed_out" | "session_ended";
const enterpriseSignInNotices: readonly EnterpriseSignInNotice[] = ["signed_out", "session_ended"];

function pageSearch(raw: Record<string, unknown>): { page?: number } {
  const page = Number(raw.page);
  return Number.isInteger(page) && page > 1 ? { page } : {};
}

function tokenSearch(raw: Record<string, unknown>): { token?: string } {
  return typeof raw.token === "string" && raw.token ? { token: raw.token } : {};
}

const rootRoute = createRootRouteWithContext<RouterContext>()({
  component: Outlet,
  notFoundComponent: NotFoundPage,
});

// ---- Public pages (no session needed) ----

const publicLayout = createRoute({
  getParentRoute: () => rootRoute,
  id: "public",
  component: PublicLayout,
});

const signInRoute = createRoute({
  getParentRoute: () => publicLayout,
  path: "sign-in",
  validateSearch: (
    raw: Record<string, unknown>,
  ): { redirect?: string; notice?: SignInNotice; login?: string } => ({
    redirect: typeof raw.redirect === "string" ? raw.redirect : undefined,
    notice: signInNotices.find((n) => n === raw.notice),
    // The account just activated, to start the form with (see ActivatePage).
    login: typeof raw.login === "string" && raw.login ? raw.login.slice(0, 254) : undefined,
  }),
  beforeLoad: async ({ context }) => {
    const session = await context.queryClient.ensureQueryData(sessionQuery);
    if (session) throw redirect({ to: homeOf(session) });
  },
  component: SignInPage,
});

const enterpriseSignInRoute = createRoute({
  getParentRoute: () => publicLayout,
  path: "enterprise/sign-in",
  validateSearch: (
    raw: Record<string, unknown>,
  ): { error?: EnterpriseSignInFailure; notice?: EnterpriseSignInNotice } => ({
    error: enterpriseSignInFailures.find((f) => f === raw.error),
    notice: enterpriseSignInNotices.find((n) => n === raw.notice),
  }),
  beforeLoad: async ({ context }) => {
    const session = await context.queryClient.ensureQueryData(sessionQuery);
    if (session) throw redirect({ to: homeOf(session) });
  },
  component: EnterpriseSignInPage,
});

const forgotPasswordRoute = createRoute({
  getParentRoute: () => publicLayout,
  path: "forgot-password",
  component: ForgotPasswordPage,
});

const resetPasswordRoute = createRoute({
  getParentRoute: () => publicLayout,
  path: "reset-password",
  validateSearch: tokenSearch,
  component: ResetPasswordPage,
});

const activateRoute = createRoute({
  getParentRoute: () => publicLayout,
  path: "activate",
  validateSearch: (raw: Record<string, unknown>): { token?: string; email?: string } => ({
    ...tokenSearch(raw),
    // The invited address, which the activation e-mail's link carries to fill the form with.
    ...(typeof raw.email === "string" && raw.email ? { email: raw.email.slice(0, 254) } : {}),
  }),
  component: ActivatePage,
});

const completeRoute = createRoute({
  getParentRoute: () => publicLayout,
  path: "complete",
  validateSearch: tokenSearch,
  component: CompletePage,
});

const completeFinishingRoute = createRoute({
  getParentRoute: () => publicLayout,
  path: "complete/finishing",
  component: RegistrationFinishingPage,
});

const completeFailedRoute = createRoute({
  getParentRoute: () => publicLayout,
  path: "complete/failed",
  validateSearch: (raw: Record<string, unknown>) => {
    const reason = registrationReasonOf(raw.reason);
    return reason ? { reason } : {};
  },
  component: RegistrationFailedPage,
});

// ---- The signed-in area ----

const appLayout = createRoute({
  getParentRoute: () => rootRoute,
  id: "app",
  beforeLoad: async ({ context, location }) => {
    const session = await context.queryClient.ensureQueryData(sessionQuery);
    if (!session) {
      throw redirect({ to: "/sign-in", search: { redirect: location.href } });
    }
    // An enterprise admin has a portal of its own.
    if (session.kind === "enterprise_admin") throw redirect({ to: "/enterprise" });
    if (session.account.mustChangePassword && location.pathname !== "/change-password") {
      throw redirect({ to: "/change-password" });
    }
    return { session };
  },
  component: AppLayout,
  pendingComponent: PageLoader,
  errorComponent: ({ error, reset }) => <QueryError error={error} onRetry={reset} />,
});

const indexRoute = createRoute({
  getParentRoute: () => appLayout,
  path: "/",
  beforeLoad: ({ context }) => {
    throw redirect({ to: landingPath(context.session.organization.kind) });
  },
});

const changePasswordRoute = createRoute({
  getParentRoute: () => appLayout,
  path: "change-password",
  component: ChangePasswordPage,
});

const masterResellersRoute = createRoute({
  getParentRoute: () => appLayout,
  path: "master-resellers",
  validateSearch: listSearchOf(organizationStatuses),
  component: () => (
    <RequireAbility action="master_reseller.manage">
      <MasterResellersPage />
    </RequireAbility>
  ),
});

const addMasterResellerRoute = createRoute({
  getParentRoute: () => appLayout,
  path: "master-resellers/new",
  component: () => (
    <RequireAbility action="master_reseller.manage">
      <AddMasterResellerPage />
    </RequireAbility>
  ),
});

const editMasterResellerRoute = createRoute({
  getParentRoute: () => appLayout,
  path: "master-resellers/$masterResellerId/edit",
  component: () => (
    <RequireAbility action="master_reseller.manage">
      <EditMasterResellerPage />
    </RequireAbility>
  ),
});

const masterResellerAdminsRoute = createRoute({
  getParentRoute: () => appLayout,
  path: "master-resellers/$masterResellerId/admins",
  component: () => (
    <RequireAbility action="admin.manage">
      <MasterResellerAdminsPage />
    </RequireAbility>
  ),
});

const resellersRoute = createRoute({
  getParentRoute: () => appLayout,
  path: "resellers",
  validateSearch: listSearchOf(organizationStatuses),
  component: () => (
    <RequireAbility action="reseller.read">
      <ResellersPage />
    </RequireAbility>
  ),
});

const addResellerRoute = createRoute({
  getParentRoute: () => appLayout,
  path: "resellers/new",
  validateSearch: (raw: Record<string, unknown>): { masterId?: string } =>
    typeof raw.masterId === "string" && raw.masterId ? { masterId: raw.masterId } : {},
  component: () => (
    <RequireAbility action="reseller.manage">
      <AddResellerPage />
    </RequireAbility>
  ),
});

const editResellerRoute = createRoute({
  getParentRoute: () => appLayout,
  path: "resellers/$resellerId/edit",
  component: () => (
    <RequireAbility action="reseller.manage">
      <EditResellerPage />
    </RequireAbility>
  ),
});

const resellerAdminsRoute = createRoute({
  getParentRoute: () => appLayout,
  path: "resellers/$resellerId/admins",
  component: () => (
    <RequireAbility action="admin.manage">
      <ResellerAdminsPage />
    </RequireAbility>
  ),
});

const enterprisesRoute = createRoute({
  getParentRoute: () => appLayout,
  path: "enterprises",
  validateSearch: cursorListSearchOf(enterpriseStatuses),
  component: () => (
    <RequireAbility action="enterprise.read">
      <EnterprisesPage />
    </RequireAbility>
  ),
});

const addEnterpriseRoute = createRoute({
  getParentRoute: () => appLayout,
  path: "enterprises/new",
  component: () => (
    <RequireAbility action="enterprise.manage">
      <AddEnterprisePage />
    </RequireAbility>
  ),
});

const editEnterpriseRoute = createRoute({
  getParentRoute: () => appLayout,
  path: "enterprises/$enterpriseId/edit",
  component: () => (
    <RequireAbility action="enterprise.manage">
      <EditEnterprisePage />
    </RequireAbility>
  ),
});

const providerEnterpriseRoute = createRoute({
  getParentRoute: () => appLayout,
  path: "enterprises/$enterpriseId",
  validateSearch: usersSearchOf,
  component: () => (
    <RequireAbility action="enterprise.overview">
      <ProviderEnterprisePage />
    </RequireAbility>
  ),
});

const providerEnterpriseUserRoute = createRoute({
  getParentRoute: () => appLayout,
  path: "enterprises/$enterpriseId/users/$userId",
  component: () => (
    <RequireAbility action="enterprise.overview">
      <ProviderUserPage />
    </RequireAbility>
  ),
});

const providerCallsRoute = createRoute({
  getParentRoute: () => appLayout,
  path: "enterprises/$enterpriseId/calls",
  component: () => (
    <RequireAbility action="calls.read">
      <ProviderCallsPage />
    </RequireAbility>
  ),
});

const providerCallRoute = createRoute({
  getParentRoute: () => appLayout,
  path: "enterprises/$enterpriseId/calls/$callId",
  component: () => (
    <RequireAbility action="calls.read">
      <ProviderCallPage />
    </RequireAbility>
  ),
});

const regionsRoute = createRoute({
  getParentRoute: () => appLayout,
  path: "regions",
  component: () => (
    <RequireAbility action="region.manage">
      <RegionsPage />
    </RequireAbility>
  ),
});

const gatewayNodesRoute = createRoute({
  getParentRoute: () => appLayout,
  path: "regions/$regionId/gateway-nodes",
  component: () => (
    <RequireAbility action="gateway_node.manage">
      <GatewayNodesPage />
    </RequireAbility>
  ),
});

const pbxTypesRoute = createRoute({
  getParentRoute: () => appLayout,
  path: "pbx-types",
  component: () => (
    <RequireAbility action="pbx_type.manage">
      <PbxTypesPage />
    </RequireAbility>
  ),
});

const adminsRoute = createRoute({
  getParentRoute: () => appLayout,
  path: "admins",
  component: () => (
    <RequireAbility action="admin.manage">
      <AdminsPage />
    </RequireAbility>
  ),
});

const auditRoute = createRoute({
  getParentRoute: () => appLayout,
  path: "audit",
  validateSearch: listSearchOf(),
  component: () => (
    <RequireAbility action="audit.read">
      <AuditLogPage />
    </RequireAbility>
  ),
});

// ---- The enterprise portal (enterprise admins signed in with Microsoft) ----

const enterpriseLayout = createRoute({
  getParentRoute: () => rootRoute,
  path: "enterprise",
  beforeLoad: async ({ context }) => {
    const session = await context.queryClient.ensureQueryData(sessionQuery);
    if (!session) throw redirect({ to: "/enterprise/sign-in" });
    // A portal account has its own start page.
    if (session.kind !== "enterprise_admin") throw redirect({ to: homeOf(session) });
    return { enterpriseSession: session };
  },
  component: EnterpriseLayout,
  pendingComponent: PageLoader,
  errorComponent: ({ error, reset }) => <QueryError error={error} onRetry={reset} />,
});

const enterpriseDashboardRoute = createRoute({
  getParentRoute: () => enterpriseLayout,
  path: "/",
  // Where Microsoft's admin consent for the new permissions comes back to.
  validateSearch: (
    raw: Record<string, unknown>,
  ): { permissions?: "granted" | "finishing"; permissionsError?: PermissionsConsentFailure } => ({
    permissions:
      raw.permissions === "granted" || raw.permissions === "finishing"
        ? raw.permissions
        : undefined,
    permissionsError: permissionsConsentFailures.find((f) => f === raw.permissionsError),
  }),
  component: EnterpriseDashboardPage,
});

const enterpriseGroupsRoute = createRoute({
  getParentRoute: () => enterpriseLayout,
  path: "groups",
  validateSearch: (raw: Record<string, unknown>): { registered?: boolean } =>
    raw.registered === 1 || raw.registered === "1" || raw.registered === true
      ? { registered: true }
      : {},
  component: SyncGroupsPage,
});

const enterpriseUsersRoute = createRoute({
  getParentRoute: () => enterpriseLayout,
  path: "users",
  validateSearch: usersSearchOf,
  component: EnterpriseUsersPage,
});

const enterpriseUserRoute = createRoute({
  getParentRoute: () => enterpriseLayout,
  path: "users/$userId",
  component: EnterpriseUserPage,
});

const enterpriseActivityRoute = createRoute({
  getParentRoute: () => enterpriseLayout,
  path: "activity",
  validateSearch: pageSearch,
  component: EnterpriseActivityPage,
});

const enterprisePbxLocationsRoute = createRoute({
  getParentRoute: () => enterpriseLayout,
  path: "pbx-locations",
  validateSearch: pageSearch,
  component: EnterprisePbxLocationsPage,
});

const enterpriseNumbersRoute = createRoute({
  getParentRoute: () => enterpriseLayout,
  path: "numbers",
  component: EnterpriseNumbersPage,
});

const enterpriseCallsRoute = createRoute({
  getParentRoute: () => enterpriseLayout,
  path: "calls",
  component: EnterpriseCallsPage,
});

const enterpriseCallRoute = createRoute({
  getParentRoute: () => enterpriseLayout,
  path: "calls/$callId",
  component: EnterpriseCallPage,
});

const routeTree = rootRoute.addChildren([
  publicLayout.addChildren([
    signInRoute,
    forgotPasswordRoute,
    resetPasswordRoute,
    activateRoute,
    completeRoute,
    completeFinishingRoute,
    completeFailedRoute,
    enterpriseSignInRoute,
  ]),
  appLayout.addChildren([
    indexRoute,
    changePasswordRoute,
    masterResellersRoute,
    addMasterResellerRoute,
    editMasterResellerRoute,
    masterResellerAdminsRoute,
    resellersRoute,
    addResellerRoute,
    editResellerRoute,
    resellerAdminsRoute,
    enterprisesRoute,
    addEnterpriseRoute,
    editEnterpriseRoute,
    providerEnterpriseRoute,
    providerEnterpriseUserRoute,
    providerCallsRoute,
    providerCallRoute,
    regionsRoute,
    gatewayNodesRoute,
    pbxTypesRoute,
    adminsRoute,
    auditRoute,
  ]),
  enterpriseLayout.addChildren([
    enterpriseDashboardRoute,
    enterpriseGroupsRoute,
    enterpriseUsersRoute,
    enterpriseUserRoute,
    enterpriseActivityRoute,
    enterprisePbxLocationsRoute,
    enterpriseNumbersRoute,
    enterpriseCallsRoute,
    enterpriseCallRoute,
  ]),
]);

/** Public pages: a session that ends while one of them is open needs no redirect. */
const publicPaths = [
  "/sign-in",
  "/forgot-password",
  "/reset-password",
  "/activate",
  "/complete",
  "/complete/failed",
  "/complete/finishing",
  "/enterprise/sign-in",
];

function isEnterprisePortalPath(pathname: string): boolean {
  return pathname === "/enterprise" || pathname.startsWith("/enterprise/");
}

export const queryClient = createQueryClient({
  onUnauthenticated() {
    const { pathname, href } = router.state.location;
    setCsrfToken(null);
    queryClient.setQueryData(sessionKey, null);
    if (publicPaths.includes(pathname)) return;
    if (isEnterprisePortalPath(pathname)) {
      void router.navigate({
        to: "/enterprise/sign-in",
        search: { notice: "session_ended" },
        replace: true,
      });
      return;
    }
    void router.navigate({
      to: "/sign-in",
      search: { redirect: href, notice: "session_ended" },
      replace: true,
    });
  },
  onPasswordChangeRequired() {
    void queryClient.invalidateQueries({ queryKey: sessionKey });
    void router.navigate({ to: "/change-password" });
  },
});

export const router = createRouter({
  routeTree,
  context: { queryClient },
  defaultPreload: "intent",
  // react-query caches the data; the router should not hold a second, staler copy.
  defaultPreloadStaleTime: 0,
  scrollRestoration: true,
});

declare module "@tanstack/react-router" {
  interface Register {
    router: typeof router;
  }
}
