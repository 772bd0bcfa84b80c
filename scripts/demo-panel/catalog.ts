// Demo panel: the fixed vocabulary the generator draws from: location and person names, nests and
// eggs with their variables, and the panel's real subuser permission keys.

export const LOCATIONS: readonly (readonly [string, string])[] = [
  ["us.east", "United States — East (Ashburn)"],
  ["eu.west", "Europe — West (Amsterdam)"],
  ["eu.central", "Europe — Central (Frankfurt)"],
  ["ap.south", "Asia Pacific — South (Singapore)"],
  ["us.west", "United States — West (Los Angeles)"],
];

export const FIRST_NAMES = [
  "Ada",
  "Björn",
  "Chloé",
  "Dmitri",
  "Emeka",
  "Fatima",
  "Gus",
  "Hana",
  "Ivan",
  "Jo",
];
export const LAST_NAMES = [
  "Lovelace",
  "Ström",
  "Dubois",
  "Petrov",
  "Okafor",
  "Khan",
  "Grissom",
  "Sato",
  "Ng",
];
export const DOMAINS = ["example.test", "demo-panel.test", "mail.test"];
export const SERVER_WORDS = ["Survival", "Creative", "Skyblock", "Lobby", "Arena", "Test", "Modded", "Hub"];
export const ODD_SERVER_NAMES = ["Café Survival ☕", "日本サーバー", "Zoë's <b>World</b>", 'Server "quoted"'];

export interface VariableSpec {
  name: string;
  env: string;
  defaultValue: string;
  rules: string;
}

export interface EggSpec {
  name: string;
  images: Record<string, string>;
  startup: string;
  variables: VariableSpec[];
}

export interface NestSpec {
  name: string;
  description: string;
  eggs: EggSpec[];
}

const JAVA = {
  "Java 21": "ghcr.io/pterodactyl/yolks:java_21",
  "Java 17": "ghcr.io/pterodactyl/yolks:java_17",
};
const MC_VARS: VariableSpec[] = [
  {
    name: "Server Jar File",
    env: "SERVER_JARFILE",
    defaultValue: "server.jar",
    rules: "required|regex:/^([\\w\\d._-]+)(\\.jar)$/",
  },
  {
    name: "Minecraft Version",
    env: "MINECRAFT_VERSION",
    defaultValue: "latest",
    rules: "nullable|string|max:20",
  },
  { name: "Build Number", env: "BUILD_NUMBER", defaultValue: "latest", rules: "required|string|max:20" },
];
const MC_START = "java -Xms128M -XX:MaxRAMPercentage=95.0 -jar {{SERVER_JARFILE}}";

export const NESTS: readonly NestSpec[] = [
  {
    name: "Minecraft",
    description: "Minecraft - the classic game from Mojang.",
    eggs: [
      { name: "Paper", images: JAVA, startup: MC_START, variables: MC_VARS },
      { name: "Vanilla Minecraft", images: JAVA, startup: MC_START, variables: MC_VARS },
      { name: "Forge Minecraft", images: JAVA, startup: MC_START, variables: MC_VARS },
      { name: "Bungeecord", images: JAVA, startup: MC_START, variables: MC_VARS },
    ],
  },
  {
    name: "Hytale",
    description: "Hytale dedicated servers.",
    eggs: [
      {
        name: "Hytale Server",
        images: { "Java 25": "ghcr.io/pterodactyl/yolks:java_25" },
        startup: "java -jar HytaleServer.jar --assets Assets.zip --auth-mode {{HYTALE_AUTH_MODE}}",
        variables: [
          {
            name: "Auth Mode",
            env: "HYTALE_AUTH_MODE",
            defaultValue: "authenticated",
            rules: "required|string|in:authenticated,offline",
          },
          {
            name: "Session Token",
            env: "HYTALE_SESSION_TOKEN",
            defaultValue: "",
            rules: "nullable|string|max:4096",
          },
          {
            name: "Identity Token",
            env: "HYTALE_IDENTITY_TOKEN",
            defaultValue: "",
            rules: "nullable|string|max:4096",
          },
        ],
      },
    ],
  },
  {
    name: "Source Engine",
    description: "Includes support for most Source Dedicated Server games.",
    eggs: [
      {
        name: "Garrys Mod",
        images: { Source: "ghcr.io/parkervcp/games:source" },
        startup: "./srcds_run -game garrysmod -port {{SERVER_PORT}} +map {{SRCDS_MAP}}",
        variables: [
          {
            name: "Map",
            env: "SRCDS_MAP",
            defaultValue: "gm_flatgrass",
            rules: "required|string|alpha_dash",
          },
          { name: "Max Players", env: "MAX_PLAYERS", defaultValue: "32", rules: "required|integer|max:128" },
        ],
      },
    ],
  },
  {
    name: "Voice Servers",
    description: "Voice servers such as Mumble and Teamspeak 3.",
    eggs: [
      {
        name: "Mumble Server",
        images: { Mumble: "ghcr.io/parkervcp/yolks:voice_mumble" },
        startup: "mumble-server -fg -ini murmur.ini",
        variables: [
          {
            name: "Maximum Users",
            env: "MAX_USERS",
            defaultValue: "100",
            rules: "required|numeric|max:1000",
          },
        ],
      },
    ],
  },
];

/** The subuser permission keys Pterodactyl defines (Permission::permissions()), a representative subset. */
export const PERMISSIONS = [
  "control.console",
  "control.start",
  "control.stop",
  "control.restart",
  "user.read",
  "user.create",
  "file.read",
  "file.update",
  "backup.read",
  "allocation.read",
  "startup.read",
  "database.read",
  "schedule.read",
  "settings.rename",
];
