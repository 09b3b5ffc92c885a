export { gatewayFeedRoutes, gatewayNodeRoutes } from "./gateway-feed.routes.ts";
export { authenticateGatewayNode, createGatewayNode } from "./gateway-nodes.ts";
