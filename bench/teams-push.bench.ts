export async function benchTeamsPush(): Promise<void> {}
