export { gatewayFeedRoutes, gatewayNodeRoutes } from "./gateway-feed.routes.ts";
