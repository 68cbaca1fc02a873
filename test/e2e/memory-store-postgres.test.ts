import { scratchPostgres } from "../support/databases.js";
import { memoryStoreSuite } from "../support/memory-store-suite.js";

memoryStoreSuite("postgres", scratchPostgres);
