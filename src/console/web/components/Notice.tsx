import { InlineNotification } from '@carbon/react';

export interface NoticeProps {
  kind: 'error' | 'warning' | 'info' | 'success';
  title: string;
  text: string;
  /** Given: the notice has a close button and this runs when it is closed; absent: it stays. */
  onClose?: () => void;
  /** Read out by screen readers at once (role alert) rather than when they get to it (status). */
  alert?: boolean;
}

/** A notice in the page, in the console's one style (Carbon's low-contrast inline notification). */
export function Notice({ kind, title, text, onClose, alert = false }: NoticeProps) {
  return <InlineNotification kind={kind} role={alert ? 'alert' : undefined} lowContrast hideCloseButton={!onClose} title={title} subtitle={text} onClose={onClose} />;
}
