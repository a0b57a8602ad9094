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
const FORMATS = { list, date };

/** A column: the field it shows, its header, and how the value is written when not as it is. */
type ColumnSpec = readonly [key: string, header: string, format?: keyof typeof FORMATS];

interface CollectionSpec {
  /** One object; the list is named by its plural (+s). */
  singular: string;
  states: readonly string[];
  /** The field that names an object, or how its name is made. */
  title: string | ((row: Row) => string);
  columns: readonly ColumnSpec[];
}

const CARD_COLUMNS: readonly ColumnSpec[] = [
  ['serialNumber', 'Serial number'],
  ['cardTypeId', 'Card type'],
  ['holderName', 'Holder'],
];

/** By the API's collection name, in the order the console offers them. */
const SPECS: Readonly<Record<string, CollectionSpec>> = {
  assets: {
    singular: 'Asset',
    states: ASSET_STATES,
    title: 'name',
    columns: [
      ['name', 'Name'],
      ['commonName', 'Common name'],
      ['dnsNames', 'DNS names', 'list'],
    ],
  },
  'certificate-profiles': {
    singular: 'Certificate profile',
    states: PROFILE_STATES,
    title: 'name',
    columns: [
      ['name', 'Name'],
      ['protocol', 'Protocol'],
      ['keyAlgorithm', 'Key'],
    ],
  },
  certificates: {
    singular: 'Certificate',
    states: CERTIFICATE_STATES,
    title: 'subject',
    columns: [
      ['subject', 'Subject'],
      ['serial', 'Serial'],
      ['notAfter', 'Valid until', 'date'],
    ],
  },
  requests: {
    singular: 'Request',
    states: REQUEST_STATES,
    title: (r) => `${String(r.type)} request ${r.id}`,
    columns: [
      ['type', 'Type'],
      ['useCase', 'Use case'],
      ['requester', 'Requester'],
      ['createdAt', 'Created', 'date'],
    ],
  },
  cards: { singular: 'Card', states: CARD_STATES, title: 'serialNumber', columns: CARD_COLUMNS },
  'virtual-smart-cards': { singular: 'Virtual smart card', states: CARD_STATES, title: 'serialNumber', columns: CARD_COLUMNS },
};

export const COLLECTIONS: readonly CollectionInfo[] = Object.entries(SPECS).map(([name, { singular, states, title, columns }]) => ({
  name,
  label: `${singular}s`,
  singular,
  states,
  title: typeof title === 'string' ? (r: Row) => String(r[title]) : title,
  columns: columns.map(([key, header, format]) => (format ? { key, header, value: (r: Row) => FORMATS[format](r[key]) } : { key, header })),
}));

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
