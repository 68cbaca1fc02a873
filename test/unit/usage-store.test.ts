import { scratchPglite } from "../support/databases.js";
import { usageStoreSuite } from "../support/usage-store-suite.js";

usageStoreSuite("pglite", scratchPglite);
