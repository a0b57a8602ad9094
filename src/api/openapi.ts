/** The API's OpenAPI 3.1 description, served at /api/openapi.json. */
const problem = { $ref: '#/components/schemas/Problem' };
const errors = {
  400: { description: 'Bad input (problem details name every bad field)', content: { 'application/problem+json': { schema: problem } } },
  401: { description: 'Not signed in (basic auth with the Camunda user)' },
  404: { description: 'No such object', content: { 'application/problem+json': { schema: problem } } },
};
const search = {
  parameters: [
    { name: 'state', in: 'query', schema: { type: 'string' } },
    { name: 'text', in: 'query', schema: { type: 'string', maxLength: 200 } },
    { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } },
    { name: 'offset', in: 'query', schema: { type: 'integer', minimum: 0, default: 0 } },
  ],
};
const collections = ['assets', 'certificate-profiles', 'certificates', 'requests', 'cards', 'virtual-smart-cards'];
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'integer', minimum: 1 } };

export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'Workplace PKI operator and admin API',
    version: '0.1.0',
    description: 'Search workplace and card objects, start use cases on them, download certificates, open your one-time secrets, change options. Sign in with HTTP basic auth as the same user as in Camunda Tasklist.',
  },
  security: [{ basic: [] }],
  paths: {
    '/api/health': { get: { summary: 'Readiness', security: [], responses: { 200: { description: 'UP' } } } },
    '/api/crl': { get: { summary: 'Current CRL (DER; ?format=pem)', security: [], responses: { 200: { description: 'CRL' } } } },
    '/api/ca/chain': { get: { summary: 'Issuing and root CA certificates (PEM)', security: [], responses: { 200: { description: 'PEM' } } } },
    '/api/certificates/{id}/download': {
      get: {
        summary: 'A certificate (pem, der or chain); signed in, as it names its holder',
        parameters: [idParam, { name: 'format', in: 'query', schema: { enum: ['pem', 'der', 'chain'] } }],
        responses: { 200: { description: 'The certificate' }, ...errors },
      },
    },
    '/api/secret-links': { get: { summary: "The caller's one-time secrets: what each is for, waiting, used or expired (never a secret)", responses: { 200: { description: 'The links' }, ...errors } } },
    '/api/secret-links/{id}': {
      get: {
        summary: 'A one-time secret of the caller: what it is and whether it waits (HTML page with a button, or JSON); never uses it up',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }],
        responses: { 200: { description: 'The link (no secret)' }, ...errors },
      },
      post: {
        summary: 'Hands the secret out once, to the signed-in person it is for: PKCS#12 with its password, ACME EAB credentials or SCEP challenge',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }],
        responses: {
          200: { description: 'The secret (HTML, or JSON with Accept: application/json)' },
          403: { description: 'Posted from another site' },
          ...errors,
          410: { description: 'Already shown or expired' },
        },
      },
    },
    ...Object.fromEntries(
      collections.flatMap((c) => [
        [`/api/${c}`, { get: { summary: `Search ${c}`, ...search, responses: { 200: { description: 'A page of objects' }, ...errors } } }],
        [`/api/${c}/{id}`, { get: { summary: `One of ${c}, with relations, history and available use cases`, parameters: [idParam], responses: { 200: { description: 'The object' }, ...errors } } }],
        [
          `/api/${c}/{id}/use-cases/{useCase}`,
          {
            post: {
              summary: `Start a use case on one of ${c}`,
              parameters: [idParam, { name: 'useCase', in: 'path', required: true, schema: { type: 'string' } }],
              requestBody: { content: { 'application/json': { schema: { type: 'object', additionalProperties: false, properties: { profileId: { type: 'integer' }, assetId: { type: 'integer' } } } } } },
              responses: { 201: { description: 'Started: processInstanceKey and tasklistUrl' }, 409: { description: 'Not available on the object now (reason given); nothing started' }, ...errors },
            },
          },
        ],
      ]),
    ),
    '/api/requests/{id}': { delete: { summary: 'Delete a request not yet decided (cancels its process)', parameters: [idParam], responses: { 204: { description: 'Deleted' }, 409: { description: 'Already decided' }, ...errors } } },
    '/api/admin/options': { get: { summary: 'Use-case options (admin)', responses: { 200: { description: 'All options' }, 403: { description: 'Not an admin' } } } },
    '/api/admin/options/{useCase}': {
      put: {
        summary: 'Change a use case\'s options: enabled, approvalStep, approverGroup, approverEmails (admin)',
        parameters: [{ name: 'useCase', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { 200: { description: 'The options now' }, 403: { description: 'Not an admin' }, ...errors },
      },
    },
    '/api/admin/options/{useCase}/history': {
      get: {
        summary: "Every change of a use case's options: before, after, the admin, when (admin)",
        parameters: [{ name: 'useCase', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { 200: { description: 'The changes, oldest first' }, 403: { description: 'Not an admin' }, ...errors },
      },
    },
    '/api/admin/card-types/{type}/commands/{command}/history': {
      get: {
        summary: "Every change of a card type's command: before, after, the admin, when (admin)",
        parameters: [
          { name: 'type', in: 'path', required: true, schema: { type: 'string' } },
          { name: 'command', in: 'path', required: true, schema: { type: 'string' } },
        ],
        responses: { 200: { description: 'The changes, oldest first' }, 403: { description: 'Not an admin' }, ...errors },
      },
    },
    '/api/admin/card-types/{type}/commands/{command}': {
      put: {
        summary: 'Enable or disable a card type\'s additional command (admin)',
        parameters: [
          { name: 'type', in: 'path', required: true, schema: { type: 'string' } },
          { name: 'command', in: 'path', required: true, schema: { type: 'string' } },
        ],
        responses: { 200: { description: 'The command now' }, 403: { description: 'Not an admin' }, ...errors },
      },
    },
  },
  components: {
    securitySchemes: { basic: { type: 'http', scheme: 'basic' } },
    schemas: {
      Problem: {
        type: 'object',
        properties: { type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' }, detail: { type: 'string' }, issues: { type: 'array', items: { type: 'string' } } },
      },
    },
  },
} as const;
