import { Button, Group, Menu } from "@mantine/core";
import { useState } from "react";
import { callingServices } from "../../../shared/contracts/calling.ts";
import { usersExportUrl } from "./calling.api.ts";
import { UploadUsersModal, usersCsvServiceLabels } from "./UploadUsersModal.tsx";

interface UsersCsvActionsProps {
  enterpriseId: string;
  /** Whether the viewer's role may configure users (the upload); anyone here may export. */
  canConfigure: boolean;
}

/** The Users page's bulk actions: "Upload users (CSV)" and "Export users (CSV)" per service. */
export function UsersCsvActions({ enterpriseId, canConfigure }: UsersCsvActionsProps) {
  const [uploading, setUploading] = useState(false);
  return (
    <Group gap="sm">
      <Menu position="bottom-end">
        <Menu.Target>
          <Button variant="default">Export users (CSV)</Button>
        </Menu.Target>
        <Menu.Dropdown>
          {callingServices.map((service) => (
            <Menu.Item
              key={service}
              component="a"
              href={usersExportUrl(enterpriseId, service)}
              download={`${service}-users.csv`}
            >
              {usersCsvServiceLabels[service]}
            </Menu.Item>
          ))}
        </Menu.Dropdown>
      </Menu>
      {canConfigure ? (
        <>
          <Button onClick={() => setUploading(true)}>Upload users (CSV)</Button>
          <UploadUsersModal
            opened={uploading}
            enterpriseId={enterpriseId}
            onClose={() => setUploading(false)}
          />
        </>
      ) : null}
    </Group>
  );
}
