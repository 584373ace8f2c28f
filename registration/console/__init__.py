"""The officer console under `/console`: server-rendered pages where the front desk, the back
office, registrars and auditors work (sign-in, queues, an application, its actions), calling the
same services as the API. No script is needed; every page works from the keyboard."""
