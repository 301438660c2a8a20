// Integration and e2e tests start real servers and processes.
jest.setTimeout(180_000);
