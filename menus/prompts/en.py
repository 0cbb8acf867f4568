"""English prompts (the reference sentences of SPEC §3.2)."""

PROMPTS = {
    # Shared by every flow
    "not_understood": "Sorry, that choice is not valid.",
    "goodbye": "Goodbye.",
    "apology": "We are sorry, a technical problem prevents us from taking your call. "
    "Please try again later. Goodbye.",
    # Access: menus
    "main_menu": "To listen to your messages, press 1. To customise your mailbox, press 2.",
    "customise_menu": "To change your greeting, press 1. For your secret code, press 2.",
    # Access: logging in
    "enter_line": "Please enter your line number followed by the hash key.",
    "enter_code": "Please enter your secret code followed by the hash key.",
    "wrong_code": "Incorrect code.",
    "locked": "Your voicemail is locked after three incorrect codes. "
    "Please contact customer service.",
    "remote_needs_code": "Remote access needs a secret code. "
    "You can create it from your fixed line.",
    # Access: the secret code menu
    "no_code_yet": "You have not yet chosen a secret code. "
    "A secret code is needed to access your voicemail remotely by phone.",
    "create_code": "To create your secret code, press 1.",
    "code_active": "Your secret code is active. To change it, press 1.",
    "ask_is_on": "Your code is asked for on your fixed line. To stop asking for it there, press 2.",
    "ask_is_off": "Your code is not asked for on your fixed line. "
    "To ask for it there again, press 2.",
    "choose_code": "Please dial the four digits of the secret code you have chosen, "
    "followed by the hash key.",
    "code_readback": "You dialled {pending_code:digits}. If this code suits you, press 1. "
    "To dial another code, press 2.",
    "saved": "Your request has been taken into account.",
    "code_weak": "This code is too easy to guess. Please choose another one.",
    "code_length": "Your secret code must have four digits.",
    "fixed_line_only": "Your secret code can only be created or changed from your fixed line.",
    # Voicemail: leaving a message
    "standard_greeting": "You have reached the voicemail of {mailbox_number:digits}. "
    "Please leave a message after the tone.",
    "message_recorded": "Your message has been recorded.",
    "mailbox_full": "This mailbox is full and cannot take any more messages.",
    "deposit_unknown_line": "Sorry, there is no voicemail at this number.",
    # Voicemail: listening
    "message_count": "You have {new_count:plural=new_messages} "
    "and {saved_count:plural=saved_messages}.",
    "new_messages_one": "{count} new message",
    "new_messages_other": "{count} new messages",
    "saved_messages_one": "{count} saved message",
    "saved_messages_other": "{count} saved messages",
    "envelope": "Message received on {received_date} at {received_time}, from {caller:digits}.",
    "envelope_unknown": "Message received on {received_date} at {received_time}, "
    "from an unknown number.",
    "message_options": "To listen again, press 1. To keep it and hear the next one, press 2. "
    "To delete it, press 3.",
    "message_deleted": "Message deleted.",
    "no_more_messages": "You have no more messages.",
    # Voicemail: the greeting
    "greeting_menu": "To record a personal greeting, press 1. "
    "To go back to the standard greeting, press 2.",
    "greeting_record": "Please record your greeting after the tone, then press the hash key.",
    "greeting_review": "To keep this greeting, press 1. To record it again, press 2.",
    # Voicemail: the caller's controls (issue 13)
    "greeting_name_before": "You have reached the voicemail of",
    "greeting_name_after": "Please leave a message after the tone.",
    "connect_operator": "Please hold, we are putting you through.",
    "message_too_short": "Your message is too short. Please speak after the tone.",
    "review_options": "To send your message, press 1. To listen to it, press 2. "
    "To record it again, press 3. To mark it urgent and send it, press 4.",
    "record_again": "Please record your message after the tone.",
    "marked_urgent": "Your message is marked urgent.",
    # Voicemail: the subscriber's controls (issue 13)
    "urgent_count": "{urgent_count:plural=urgent_messages}",
    "urgent_messages_one": "{count} of them is urgent.",
    "urgent_messages_other": "{count} of them are urgent.",
    "urgent_message": "Urgent.",
    "message_more_options": "For the previous message, press 4. To hear its envelope again, "
    "press 5. To skip to these options, press the hash key. To hear them again, press 0.",
    "no_previous_message": "This is your first message.",
    "greeting_more_options": "To record your name, press 3. For an away greeting, press 4.",
    "name_record": "Please say your name after the tone, then press the hash key.",
    "name_review": "To keep this name, press 1. To record it again, press 2.",
    "away_is_on": "Your away greeting is on until {away_until}.",
    "away_on_options": "To turn it off, press 1. To record a new one, press 2.",
    "away_date": "Please enter the last day of your absence: two digits for the day, "
    "two for the month, then the hash key.",
    "away_date_invalid": "This date is not valid. It must be within the coming year.",
    "away_record": "Please record your away greeting after the tone, then press the hash key.",
    "away_review": "To keep this away greeting, press 1. To record it again, press 2.",
    "away_reminder": "Your away greeting is on until {away_until}.",
    # Support line: service PIN (SPEC §4.4)
    "enter_service_pin": "Please enter your service PIN followed by the hash key.",
    "enter_customer_number": "Please enter your customer number followed by the hash key.",
    "identity_confirmed": "Thank you, your identity is confirmed.",
    "pin_not_valid": "This PIN is not valid.",
    "identity_not_confirmed": "We could not confirm your identity.",
    "connect_adviser": "Please hold, an adviser will take your call.",
    "support_unavailable": "Customer service cannot take your call at the moment. "
    "Please try again later. Goodbye.",
    # Support line: what the adviser hears before the call is put through
    "whisper_verified_permanent": "Verified caller, by permanent PIN.",
    "whisper_verified_temporary": "Verified caller, by temporary PIN.",
    "whisper_unverified": "Unverified caller.",
}
