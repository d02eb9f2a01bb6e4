// The seed's input format, as the input writer produces it. Kafka mode: {"id":n,"payload":...}.
// Redis mode adds the id drawn from the Redis sequence: {"id":n,"redis_ordered_id":seq,"payload":"MessagePayload_Seq-seq"}.

export function kafkaModeMessage(id: number): string {
  return JSON.stringify({ id, payload: `MessagePayload_${id}` });
}

export function redisModeMessage(id: number, sequence: number): string {
  return JSON.stringify({ id, redis_ordered_id: sequence, payload: `MessagePayload_Seq-${sequence}` });
}
