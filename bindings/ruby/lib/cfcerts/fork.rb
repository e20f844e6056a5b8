# frozen_string_literal: true

module Cfcerts
  # Clients made before a fork() keep working in the child: the library starts its threads and connections anew
  # there; this resets the Ruby side's count of calls in flight, which belonged to threads the child does not have.
  @clients = ObjectSpace::WeakMap.new

  def self.track_for_fork(client)
    @clients[client] = true
  end

  # @api private
  def self.after_fork_in_child
    @clients.each_key(&:reset_after_fork)
  end

  # Process._fork is what Kernel#fork, Process.fork and IO.popen("-") call (Ruby 3.1+).
  module ForkHook
    def _fork
      pid = super
      Cfcerts.after_fork_in_child if pid.zero?
      pid
    end
  end
  Process.singleton_class.prepend(ForkHook) if Process.respond_to?(:_fork)
end
