import type { Me } from '../api';
import type { Key } from '../i18n';

export interface PageContext {
  params: string[];
  query: URLSearchParams;
  me: Me;
  /** Renders the current route again (after an action changed the data). */
  refresh?: () => Promise<void>;
  message?: Key | null;
  signedIn?: (token: string) => Promise<void>;
}
export type Page = (view: HTMLElement, ctx: PageContext) => Promise<void> | void;
