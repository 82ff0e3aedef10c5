-- An appointment's time (0.2.0): the receiving structure may give the hour
-- with the day ("HH:MM", Paris time), so the person is told when to come.
-- Referrals fixed before keep their day alone.
ALTER TABLE referrals ADD COLUMN appointment_time TEXT;
