-- Deprovisioning and plans (issue 17).

-- Set by `DELETE /organizations/{id}`: its keys are gone at once, and the router's deprovision
-- pass removes its data in batches, resuming after a crash until the row itself is deleted.
ALTER TABLE organizations ADD COLUMN deleting_at timestamptz;
CREATE INDEX organizations_deleting ON organizations (deleting_at) WHERE deleting_at IS NOT NULL;

-- Quotas of the organization's plan; NULL: unlimited.
ALTER TABLE organizations ADD COLUMN max_messages_per_day integer
    CHECK (max_messages_per_day >= 0);
ALTER TABLE organizations ADD COLUMN max_endpoints integer CHECK (max_endpoints >= 0);
ALTER TABLE organizations ADD COLUMN max_apps integer CHECK (max_apps >= 0);

-- Messages accepted per organization and UTC day, counted only for organizations with a
-- messages-per-day quota.
CREATE TABLE organization_usage (
    organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    day             date NOT NULL,
    messages        bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (organization_id, day)
);
