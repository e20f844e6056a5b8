# frozen_string_literal: true

module Cfcerts
  # @api private: what a run pulled from a C handle shares (BulkRun, FleetApply): Enumerable over its items as they
  # come; the items are kept, so the run can be enumerated any number of times, partially or from several threads
  # (later passes replay what earlier ones read, then read on). cancel (any thread) stops the work; close cancels
  # and frees the handle. An includer defines native_kind (:bulk, :fleet_apply: the C functions' infix),
  # parse_item(fields) and read_end (with the handle still open, once the last item is read), and may define
  # answer_request(fields): true when it has handled what the run handed out (a hook to run), which is then no item.
  module NativeRun
    include Enumerable

    def each
      return enum_for(:each) unless block_given?

      index = 0
      while (item = item_at(index))
        index += 1
        yield item
      end
      self
    end

    # Stops the work: no more items start, those in flight end at once. Safe from any thread.
    def cancel
      @handle_lock.synchronize do
        Library.public_send(:"cfcerts_#{native_kind}_cancel", @run) if @run
      end
      nil
    end

    def close
      cancel
      @lock.synchronize { free_run }
      nil
    end

    private

    # @lock serialises reads (held for a whole call); @handle_lock guards @run itself, so cancel (from any thread,
    # also while a read holds @lock) never reaches a run another thread is freeing.
    def open_run(client, first, second)
      @lock = Mutex.new
      @handle_lock = Mutex.new
      @items = []
      @run = Cfcerts.native_handle(client, native_kind, first, second)
    end

    def item_at(index)
      @lock.synchronize do
        return @items[index] if index < @items.size

        read_next
      end
    end

    # With the lock held: the next item from the C run, nil at the end.
    def read_next
      loop do
        return nil unless @run

        run = @run
        code, text, error = Cfcerts.interruptible(-> { cancel }) do
          code, text = Library.call_for_string(:"cfcerts_#{native_kind}_next", run)
          [code, text, code.zero? || code == Library::ITEROVER ? nil : Cfcerts.last_error(code)]
        end
        if code == Library::ITEROVER
          read_end
          free_run
          return nil
        end
        if error
          free_run
          raise error
        end
        fields = Cfcerts.parse_json(text)
        next if answer_request(fields)

        item = parse_item(fields)
        @items << item
        return item
      end
    end

    def answer_request(_fields) = false

    def free_run
      @handle_lock.synchronize do
        run, @run = @run, nil
        run&.free
      end
    end
  end
end
