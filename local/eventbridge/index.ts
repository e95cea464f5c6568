export { EventBridgeServer, type EventBridgeEvent } from './server';
