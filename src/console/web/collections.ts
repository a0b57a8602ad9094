/** The kinds of object the console finds and shows, as the API's collections name them. */
import { ASSET_STATES, CARD_STATES, CERTIFICATE_STATES, PROFILE_STATES, REQUEST_STATES } from '../../domain/states';

export type Row = Record<string, unknown> & { id: number; state: string };

export interface Column {
  key: string;
  header: string;
  value?: (row: Row) => string;
}

export interface CollectionInfo {
  name: string;
  /** Plural, for lists. */
  label: string;
  /** Singular, for one object. */
  singular: string;
  states: readonly string[];
  title(row: Row): string;
  columns: Column[];
}

const list = (v: unknown) => (Array.isArray(v) ? v.join(', ') : '');
const date = (v: unknown) => (typeof v === 'string' ? new Date(v).toLocaleString() : '');
const cardColumns: Column[] = [
  { key: 'serialNumber', header: 'Serial number' },
  { key: 'cardTypeId', header: 'Card type' },
  { key: 'holderName', header: 'Holder' },
];

export const COLLECTIONS: readonly CollectionInfo[] = [
  {
    name: 'assets',
    label: 'Assets',
    singular: 'Asset',
    states: ASSET_STATES,
    title: (r) => String(r.name),
    columns: [
      { key: 'name', header: 'Name' },
      { key: 'commonName', header: 'Common name' },
      { key: 'dnsNames', header: 'DNS names', value: (r) => list(r.dnsNames) },
    ],
  },
  {
    name: 'certificate-profiles',
    label: 'Certificate profiles',
    singular: 'Certificate profile',
    states: PROFILE_STATES,
    title: (r) => String(r.name),
    columns: [
      { key: 'name', header: 'Name' },
      { key: 'protocol', header: 'Protocol' },
      { key: 'keyAlgorithm', header: 'Key' },
    ],
  },
  {
    name: 'certificates',
    label: 'Certificates',
    singular: 'Certificate',
    states: CERTIFICATE_STATES,
    title: (r) => String(r.subject),
    columns: [
      { key: 'subject', header: 'Subject' },
      { key: 'serial', header: 'Serial' },
      { key: 'notAfter', header: 'Valid until', value: (r) => date(r.notAfter) },
    ],
  },
  {
    name: 'requests',
    label: 'Requests',
    singular: 'Request',
    states: REQUEST_STATES,
    title: (r) => `${String(r.type)} request ${r.id}`,
    columns: [
      { key: 'type', header: 'Type' },
      { key: 'useCase', header: 'Use case' },
      { key: 'requester', header: 'Requester' },
      { key: 'createdAt', header: 'Created', value: (r) => date(r.createdAt) },
    ],
  },
  { name: 'cards', label: 'Cards', singular: 'Card', states: CARD_STATES, title: (r) => String(r.serialNumber), columns: cardColumns },
  {
    name: 'virtual-smart-cards',
    label: 'Virtual smart cards',
    singular: 'Virtual smart card',
    states: CARD_STATES,
    title: (r) => String(r.serialNumber),
    columns: cardColumns,
  },
];

export function collection(name: string): CollectionInfo | undefined {
  return COLLECTIONS.find((c) => c.name === name);
}

/** Where an object's page is; a card of type virtual-smart-card is still a card. */
export const objectPath = (collectionName: string, id: number | string) => `/console/${collectionName}/${id}`;

/** Fields that name another object: the collection it is in. */
export const RELATION_FIELDS: Readonly<Record<string, string>> = {
  profileId: 'certificate-profiles',
  assetId: 'assets',
  certificateId: 'certificates',
  cardId: 'cards',
};

export const formatDate = date;
