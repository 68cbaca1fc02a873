// The bare baseline of the projects bench: a BullMQ worker that does for each job what any
// job calling a model does at least (the model call, one row written), and nothing of ours.
// Plain JavaScript, so no loader stands between it and Node.
import { Worker } from "bullmq";
import { Redis } from "ioredis";
import OpenAI from "openai";
import postgres from "postgres";

const env = process.env;
const sql = postgres(env.DATABASE_URL, { max: 4 });
const client = new OpenAI({ apiKey: "sk-bare", baseURL: env.OPENAI_BASE_URL, maxRetries: 0 });
const connection = new Redis("redis://127.0.0.1:6379", { maxRetriesPerRequest: null });
const worker = new Worker(
  "bare",
  async (job) => {
    const answer = await client.chat.completions.create({
      model: "bare",
      messages: [{ role: "user", content: `bare job ${job.id}` }],
    });
    await sql`insert into bare_results (job, result) values (${job.id}, ${answer.choices[0]?.message.content ?? ""})`;
  },
  { connection, prefix: env.REDIS_PREFIX, concurrency: Number(env.WORKER_CONCURRENCY) },
);
process.once("SIGTERM", async () => {
  await worker.close();
  await sql.end();
  connection.disconnect();
  process.exit(0);
});
