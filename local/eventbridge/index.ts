export { EventBridgeServer, type EventBridgeEvent, type EventBridgeServerOptions, type EventRuleOptions, type EventTarget } from './server';
export { EventPatternError, matchesEventPattern, validateEventPattern, type EventPattern } from './event-pattern';
