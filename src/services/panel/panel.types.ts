// What the Pterodactyl application API answers (panel 1.11, Fractal transformers): the listing
// envelope and the attributes of each resource as we read them. Untrusted input: every consumer
// validates or coerces before it writes.

export interface PanelLocation {
  id: number;
  short: string;
  long: string | null;
}

export interface PanelNode {
  id: number;
  uuid: string;
  name: string;
  description: string | null;
  location_id: number;
  fqdn: string;
  scheme: string;
  behind_proxy: boolean;
  maintenance_mode: boolean;
  public: boolean;
  memory: number;
  memory_overallocate: number;
  disk: number;
  disk_overallocate: number;
  daemon_listen: number;
  daemon_sftp: number;
  daemon_base: string;
}

export interface PanelAllocation {
  id: number;
  ip: string;
  alias: string | null;
  port: number;
  notes: string | null;
  assigned: boolean;
}

export interface PanelNest {
  id: number;
  uuid: string;
  name: string;
  description: string | null;
  author: string | null;
}

export interface PanelEgg extends PanelNest {
  nest: number;
}

export interface PanelEggVariable {
  id: number;
  egg_id: number;
  name: string;
  description: string | null;
  env_variable: string;
  default_value: string | null;
  user_viewable: boolean;
  user_editable: boolean;
  rules: string | null;
}

export interface PanelUser {
  id: number;
  username: string;
  email: string;
  first_name: string | null;
  last_name: string | null;
  root_admin: boolean;
}

export interface PanelServer {
  id: number;
  external_id: string | null;
  uuid: string;
  identifier: string;
  name: string;
  description: string | null;
  status: string | null;
  suspended: boolean;
  limits: { memory: number; disk: number; cpu: number };
  user: number;
  node: number;
  egg: number;
  nest: number;
}

export interface PanelSubuser {
  user_id: number;
  server_id: number;
  permissions: string[];
}

export interface PanelDatabase {
  id: number;
  server: number;
  host: number;
  database: string;
  username: string;
  max_connections: number | null;
  relationships?: Record<string, unknown>;
}

export interface FractalItem<A> {
  object: string;
  attributes: A & { relationships?: Record<string, FractalList<unknown> | FractalItem<unknown> | null> };
}

export interface FractalList<A> {
  object: "list";
  data: FractalItem<A>[];
  meta?: {
    pagination?: {
      total: number;
      count: number;
      per_page: number;
      current_page: number;
      total_pages: number;
    };
  };
}
