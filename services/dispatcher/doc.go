package dispatcher

// The rules that keep every DELIVERIES message correct, each with the one
// function that keeps it and the test that checks it. A change to lane,
// task, worker or fanout that touches one of them changes this list too.
//
//  1. One owner settles a message, once. From Submit to its settlement a
//     DELIVERIES message belongs to the lanes; lane.Lanes.settle is the only
//     place that acks or naks it (Submit terminates a malformed one). The
//     attempt code returns a task.Outcome — Done, SetAside, RetryLater,
//     Leave — and never settles (worker.Worker.Attempt, the one mapping of
//     what happened to a verdict). Tests: lane
//     TestStopHandsBackUnstartedAndFinishesInFlight, TestHoldAndRefill.
//
//  2. A shared message settles once all its tasks have: ack when none needs
//     it again, else nak with the longest delay asked for (task.Settlement
//     .Settle). Its tasks weigh one message together in the waiting budget
//     (lane.Lanes.Submit). Tests: task TestSettlement*, lane
//     TestSharedMessageWeighsOneAndSettlesAfterAll.
//
//  3. Liveness by age. Every unsettled message the lanes own — queued,
//     waiting for a worker or a crew goroutine, in flight, paused for its
//     rate limit, in a router's Submit blocked for a worker or for room —
//     is marked in progress at least every Touch (AckWait/3) until it is
//     settled (lane.Lanes.keepAlive, from lane.Lanes.track on; a message
//     older than Touch/2 at receipt, which may have waited in the pull
//     buffer, at once). Fan-out messages likewise while their handler runs
//     (pool.Run with KeepAlive). So JetStream redelivers only the messages
//     of a process that is gone, and AckWait need not exceed any timeout.
//     Test: lane TestUnsettledMessagesAreKeptAliveWhereverTheyWait.
//
//  4. No shared ack-pending budget. Each process bounds what it owns: the
//     lanes admit at most Options.MaxUnsettled messages per class
//     (lane.Lanes.admit), the fan-out its pull buffer and workers. Each
//     consumer's MaxAckPending is replicaHeadroom times that
//     (Service.deliveryConsumer, Service.open), so a replica killed with all
//     it owned cannot stop the others; its messages come back after AckWait
//     (10 s). Test: lane TestSubmitWaitsAtTheUnsettledBound.
//
//  5. A task has one identity. Its Redis member (held, parked, or a retry)
//     is its encoding, and nothing in it says when or how often it was set
//     aside (task.Task.SetAside): copies of one task are one member, with
//     ZADD NX keeping the first score (park.Lot.ParkAll). A release gets a
//     new MsgID that is the same for every release of one member
//     (task.Task.Released); a retry is made of the delivery, trigger and
//     step only (task.Task.Next), so two copies of one attempt schedule one
//     chain. Tests: task TestOneIdentity*, park
//     TestSettingAsideTwiceKeepsOneMember (it fails on the old stamp of the
//     time set aside: two members).
//
//  6. A held or parked first attempt is a Rerun (task.Task.SetAside): one
//     of its copies may have been attempted already, so after its release
//     the worker checks the delivery log before sending it
//     (worker.Worker.attempted). Tests: task TestOneIdentityPerTask (the
//     mark), TestRerunFanoutAfterTheDuplicateWindowSendsNothingTwice (the
//     check), TestParkedCopyOfADeliveredTaskSendsNothingTwice (a second,
//     unmarked copy of a delivered first attempt parked while its
//     subscription is paused and released on Resume: it fails without the
//     mark, the subscriber getting the request twice).
//
//  7. Nothing is lost on the way aside: a task's retry is stored in Redis
//     before its outcome (Done) lets the lane ack it (worker process), and
//     held tasks are stored before their messages are acked
//     (lane.Lanes.holdLoop). On the way back, a Redis member (due retry,
//     parked or held task) is removed only once its task is durable in
//     DELIVERIES, and only the ones stored after a partial failure; a
//     publish that meets its twin's (another replica releasing the same
//     members: "duplicate message id is in process") leaves the member to
//     that twin (task.EnqueueMembers). Tests: TestCrashMidDeliveryLosesNothing,
//     TestHoldAndRefill, task TestConcurrentReleasesOfTheSameMembersConverge.
//
//  8. A graceful stop hands back what has not started and finishes what
//     has: on SIGTERM the routers stop pulling and what the pool holds is
//     handed back once its last pull is over (pool.Run passes it to a
//     cancelled Submit; handed back earlier, it would come straight back
//     to that open pull), queued and
//     waiting tasks are nakked without delay, attempts in flight get
//     HOOKWIRE_SHUTDOWN_GRACE to finish and be recorded, and only then is
//     their context cancelled (lane.Lanes.shutdown). Tests: lane
//     TestStopHandsBackUnstartedAndFinishesInFlight,
//     TestStopCancelsAttemptsPastTheGrace.
//
//  9. An attempt's outcome has one name everywhere: worker.outcome maps the
//     decision to the word the hookwire_deliveries_total metric counts and
//     the attempt span's hookwire.outcome says (retrying with
//     hookwire.next_attempt_at). A delivery that ends FAILED logs one WARN
//     after its record is durable (worker.Worker.process); a suspension one
//     WARN from the replica whose compare-and-set suspended it
//     (suspender.Suspend); a recovery one INFO from the replica that took
//     the announcement's claim (ops.Notifier.announce). Test:
//     TestFinalOutcomeLoggedAndTraced (two replicas).
//
// 10. No pull reply is dropped, so no pull stalls. The pool fetches only
//     what it has credit for (Workers + Buffer, half of it free), one
//     request at a time, and each Fetch reads every reply of its request
//     whether or not the handlers are reading (pool.Run, pool.pull). The
//     Messages iterator it replaced buffered replies in a channel only Next
//     drained: with every router blocked in Submit, an open request's
//     heartbeats filled it and nats.go dropped the 408 that ended the
//     request (the iterator then waited for two missing heartbeats: the
//     30 s steps of a recovering subscriber's catch-up) and any message
//     arriving meanwhile (it waited for AckWait). Test: pool
//     TestBlockedHandlersLoseNoPullReplies (it fails on the iterator: one
//     slow-consumer drop, one redelivered message).
