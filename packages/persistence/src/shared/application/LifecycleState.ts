export type Lifecycle = 'stopped' | 'starting' | 'running' | 'stopping';

/** The app's lifecycle, shared with the health monitor (which the app itself depends on). */
export class LifecycleState {
  current: Lifecycle = 'stopped';
}
