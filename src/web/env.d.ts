/** Style sheets are side-effect imports that Vite bundles. */
declare module "*.css";
