# frozen_string_literal: true

module Cfcerts
  # cfcerts_cancellable: cancel (from any thread) ends the calls of the thread that made it current.
  class Cancellable
    def initialize
      out = FFI::MemoryPointer.new(:pointer)
      Library.cfcerts_cancellable_new(out)
      @handle = FFI::AutoPointer.new(out.read_pointer, Library.method(:cfcerts_cancellable_free))
    end

    def cancel = Library.cfcerts_cancellable_cancel(@handle)

    # The block on this thread with this cancellable current.
    def run
      Library.cfcerts_cancellable_push_current(@handle)
      begin
        yield
      ensure
        Library.cfcerts_cancellable_pop_current(@handle)
      end
    end
  end

  # @api private: a blocking library call that Thread#raise, Thread#kill and Timeout.timeout can end.
  #
  # A call holds its thread in C, where neither an exception nor a kill reaches it. So the block (the C call and
  # the reading of its thread-local error) runs on a thread of its own with a cancellable current, and the
  # calling thread waits for it, which they do interrupt: the cancellable is then cancelled (on_interrupt does
  # instead, for a bulk run), the call returns within 100 ms, and the exception or the kill goes on.
  def self.interruptible(on_interrupt = nil, &block)
    cancellable = Cancellable.new
    # The worker hands its exception back rather than dying of it: a join after an interruption then never
    # replaces the interruption with the call's own "cancelled".
    worker = Thread.new do
      [true, cancellable.run(&block)]
    rescue Exception => e # rubocop:disable Lint/RescueException -- handed to the caller as it is
      [false, e]
    end
    begin
      ok, value = worker.value
      raise value unless ok

      value
    ensure
      if worker.alive?
        on_interrupt ? on_interrupt.call : cancellable.cancel
        worker.join
      end
    end
  end
end
