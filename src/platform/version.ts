// The version outbound requests and answers name: package.json's, bundled as one string.
import { version } from "../../package.json";

export const APP_VERSION: string = version;
