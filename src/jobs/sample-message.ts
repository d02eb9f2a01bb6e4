// The seed's message format. Kafka mode: {"id":n,"payload":...}. Redis mode adds the id drawn from
// the Redis sequence: {"id":n,"redis_ordered_id":seq,"payload":"MessagePayload_Seq-seq"}.

import { z } from 'zod';

export const SampleMessage = z.object({
  id: z.number().int().positive(),
  redis_ordered_id: z.number().int().positive().optional(),
  payload: z.string(),
});

export type SampleMessage = z.infer<typeof SampleMessage>;

export function kafkaModeMessage(id: number): string {
  return JSON.stringify({ id, payload: `MessagePayload_${id}` });
}

export function redisModeMessage(id: number, sequence: number): string {
  return JSON.stringify({ id, redis_ordered_id: sequence, payload: `MessagePayload_Seq-${sequence}` });
}
