/**
 * The function app's entry (package.json `main`, and the deploy bundle's entry): importing it registers
 * every function. Each function file imports only `@azure/functions` at load time and loads the
 * runtime on its first invocation, so the host indexes the app without paying for the SDKs.
 */
import "./pollRestoreSessions";
import "./opsTestAlert";
import "./pollTenant";
