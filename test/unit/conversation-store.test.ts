import { conversationStoreSuite } from "../support/conversation-store-suite.js";
import { scratchPglite } from "../support/databases.js";

conversationStoreSuite("pglite", scratchPglite);
